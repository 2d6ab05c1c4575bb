// The model id becomes a path segment of the signed Bedrock URL (`/model/{id}/converse`). A dot
// segment would climb out of `/model/` and sign a request to another path, so only the shapes
// Bedrock documents get through: model ids, inference-profile ids and ARNs. Anything else is a
// 400 before any request is signed or sent.

import { describe, expect, it } from 'vitest';
import { bedrockAccessKeyBody, bedrockRequests, uniqueModel } from './support/bedrock';
import { chat, createKeyFromBody, expectError, fakeUpstreamUrl } from './support/keygate';

/**
 * An endpoint that records every call the fake Bedrock receives under one model id, whatever path
 * Keygate builds: the path Keygate appends lands in the query string. So "nothing was recorded"
 * means nothing reached the upstream at all.
 */
function tripwireEndpoint(): { env: { BEDROCK_RUNTIME_ENDPOINT: string }; recorded: () => Promise<unknown[]> } {
  const canary = uniqueModel('tripwire');
  return {
    env: { BEDROCK_RUNTIME_ENDPOINT: `${fakeUpstreamUrl()}/bedrock/{region}/model/${encodeURIComponent(canary)}/converse?then=` },
    recorded: () => bedrockRequests(canary),
  };
}

async function bedrockChat(slug: string, model: string, envOverrides = {}, extra: Record<string, unknown> = {}) {
  return chat({ model: `@${slug}/${model}`, ...extra }, {}, envOverrides);
}

describe('Bedrock model ids', () => {
  it('sends a valid id through the tripwire endpoint, so the tripwire sees what reaches Bedrock', async () => {
    const slug = await createKeyFromBody(bedrockAccessKeyBody());
    const tripwire = tripwireEndpoint();
    await bedrockChat(slug, 'anthropic.claude-3-5-sonnet-20240620-v1:0', tripwire.env);
    expect(await tripwire.recorded()).toHaveLength(1);
  });

  it.each([
    ['the parent segment', '..'],
    ['the current segment', '.'],
    ['three dots', '...'],
    ['a path that climbs', '../../converse'],
    ['a space', 'anthropic.claude v1'],
    ['a query', 'anthropic.claude-v2?x=1'],
    ['an encoded dot segment', '%2e%2e'],
    ['a leading dot', '.anthropic.claude-v2'],
    ['an ARN of another service', 'arn:aws:s3:::bucket/key'],
  ])('refuses %s with 400 before anything is signed or sent', async (_label, model) => {
    const slug = await createKeyFromBody(bedrockAccessKeyBody());
    const tripwire = tripwireEndpoint();
    for (const stream of [false, true]) {
      const body = await expectError(await bedrockChat(slug, model, tripwire.env, { stream }), 400, 'invalid_model');
      expect(body.error).toMatchObject({ param: 'model' });
      expect(body.message).toContain(`"${model}"`);
      expect(body.message).toMatch(/Bedrock model id, inference profile id or ARN/);
    }
    expect(await tripwire.recorded()).toEqual([]);
  });

  it('quotes a long id bounded', async () => {
    const slug = await createKeyFromBody(bedrockAccessKeyBody());
    const tripwire = tripwireEndpoint();
    const model = `${'x'.repeat(5000)}..`;
    const body = await expectError(await bedrockChat(slug, model, tripwire.env), 400, 'invalid_model');
    expect(body.message.length).toBeLessThan(400);
    expect(body.message).not.toContain('x'.repeat(65));
    expect(await tripwire.recorded()).toEqual([]);
  });

  it.each([
    ['a foundation model id', (unique: string) => `anthropic.claude-3-5-sonnet-${unique}-v1:0`],
    ['a cross-region inference profile id', (unique: string) => `us.anthropic.claude-3-5-sonnet-${unique}-v1:0`],
    ['a global inference profile id', (unique: string) => `global.anthropic.claude-sonnet-4-${unique}-v1:0`],
    ['a foundation model ARN', (unique: string) => `arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-${unique}-v1:0`],
    ['an inference profile ARN', (unique: string) => `arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-${unique}-v1:0`],
    ['an application inference profile ARN', (unique: string) => `arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/${unique}`],
    ['a provisioned model ARN', (unique: string) => `arn:aws:bedrock:us-east-1:123456789012:provisioned-model/${unique}`],
    ['a GovCloud ARN', (unique: string) => `arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:inference-profile/us-gov.${unique}`],
  ])('accepts %s, sent as one encoded path segment', async (_label, build) => {
    const slug = await createKeyFromBody(bedrockAccessKeyBody());
    const model = build(crypto.randomUUID().slice(0, 12));
    expect((await bedrockChat(slug, model)).status).toBe(200);
    const [call] = await bedrockRequests(model);
    expect(call!.path).toBe(`/bedrock/us-east-1/model/${encodeURIComponent(model)}/converse`);
  });
});
