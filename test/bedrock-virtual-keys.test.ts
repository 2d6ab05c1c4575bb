// Creating and updating Bedrock virtual keys: the seed's bodies in both spellings, the three auth
// types and their rules, with every AWS secret sealed and shown masked.

import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import {
  ACCESS_KEY_ID,
  BASE_CREDENTIALS_ENV,
  bedrockAccessKeyBody,
  bedrockRequests,
  bedrockRoleBody,
  SECRET_ACCESS_KEY,
  uniqueModel,
  uniqueRoleArn,
} from './support/bedrock';
import { chat, createKeyFromBody, expectError, keyObject, postKey, putKey, rowCount } from './support/keygate';

describe('creating Bedrock keys', () => {
  it('accepts the seed’s access-key body with a session token, masking every secret', async () => {
    const slug = await createKeyFromBody(bedrockAccessKeyBody({ awsSessionToken: 'fake-session-token-static-000000001' }));
    const key = await keyObject(slug);
    expect(key.ai_provider_name).toBe('bedrock');
    expect(key.model_config).toEqual({ aws_region: 'us-east-1', aws_auth_type: 'accessKey' });
    expect(key.masked_api_key).toBe('********0001');
    expect(key.masked_secrets).toEqual({ aws_access_key_id: '********0001', aws_secret_access_key: '********0001', aws_session_token: '********0001' });
    expect(JSON.stringify(key)).not.toContain('secret-for-');
  });

  it('accepts the snake_case the Portkey SDK sends', async () => {
    const slug = await createKeyFromBody({
      name: 'snake',
      provider: 'bedrock',
      aws_region: 'eu-central-1',
      aws_access_key_id: 'FAKEACCESSKEY00002',
      aws_secret_access_key: 'secret-for-FAKEACCESSKEY00002',
    });
    expect((await keyObject(slug)).model_config).toEqual({ aws_region: 'eu-central-1', aws_auth_type: 'accessKey' });
  });

  it('accepts an assumed role with an external id when Keygate has base credentials, storing no secret', async () => {
    const roleArn = uniqueRoleArn();
    const slug = await createKeyFromBody(bedrockRoleBody(roleArn, { awsExternalId: 'expected-external-id' }), BASE_CREDENTIALS_ENV);
    const key = await keyObject(slug);
    expect(key.model_config).toEqual({ aws_region: 'us-west-2', aws_auth_type: 'assumedRole', aws_role_arn: roleArn, aws_external_id: 'expected-external-id' });
    expect(key.masked_api_key).toBeNull();
  });

  it('accepts a Bedrock API key', async () => {
    const slug = await createKeyFromBody({ name: 'api', provider: 'bedrock', awsRegion: 'us-east-1', awsAuthType: 'apiKey', key: 'fake-bedrock-api-key-0000000000001' });
    expect((await keyObject(slug)).masked_api_key).toBe('********0001');
  });

  it.each([
    ['no region', { awsRegion: undefined }, 'aws_region', /required/],
    ['a region that is not one', { awsRegion: 'mars-1' }, 'aws_region', /AWS region/],
    ['no secret access key', { awsSecretAccessKey: undefined }, 'aws_secret_access_key', /required when aws_auth_type is accessKey/],
    ['an unknown auth type', { awsAuthType: 'password' }, 'aws_auth_type', /aws_auth_type/],
    ['a role ARN with access keys', { awsRoleArn: 'arn:aws:iam::123456789012:role/x' }, 'aws_role_arn', /applies only to aws_auth_type assumedRole, not accessKey/],
    ['an API key without the access key pair', { key: 'fake-bedrock-api-key-1', awsAccessKeyId: undefined, awsSecretAccessKey: undefined }, 'key', /applies only to aws_auth_type apiKey/],
    ['an API key beside only half of the pair', { key: 'fake-bedrock-api-key-1', awsSecretAccessKey: undefined }, 'key', /applies only to aws_auth_type apiKey/],
  ])('refuses %s with 400 naming the field, and writes nothing', async (_label, overrides, param, message) => {
    const before = await rowCount();
    const body = await expectError(await postKey(bedrockAccessKeyBody(overrides)), 400);
    expect(body.error).toMatchObject({ param });
    expect(body.message).toMatch(message);
    expect(await rowCount()).toBe(before);
  });

  it('accepts Portkey’s own create example, which sends key beside the access key pair: the pair signs, key is never stored', async () => {
    const ignored = 'portkey-example-key-never-stored-0001';
    const slug = await createKeyFromBody({
      provider: 'bedrock',
      key: ignored,
      name: 'Bedrock Key',
      note: 'description',
      awsAccessKeyId: ACCESS_KEY_ID,
      awsSecretAccessKey: SECRET_ACCESS_KEY,
      awsRegion: 'us-east-1',
    });
    const key = await keyObject(slug);
    expect(key.model_config).toEqual({ aws_region: 'us-east-1', aws_auth_type: 'accessKey' });
    expect(key.masked_secrets).toEqual({ aws_access_key_id: '********0001', aws_secret_access_key: '********0001' });
    const row = await env.DB.prepare('SELECT * FROM virtual_keys WHERE slug = ?1').bind(slug).first();
    expect(JSON.stringify(row)).not.toContain(ignored.slice(0, -4));
    const model = uniqueModel();
    expect((await chat({ model: `@${slug}/${model}` })).status).toBe(200);
    expect((await bedrockRequests(model))[0]!.headers.authorization).toContain(`Credential=${ACCESS_KEY_ID}/`);
  });

  it('refuses an assumed role when Keygate has no base credentials, saying what to configure', async () => {
    const body = await expectError(await postKey(bedrockRoleBody(uniqueRoleArn())), 400, 'aws_base_credentials_not_configured');
    expect(body.message).toMatch(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
  });

  it('refuses a role ARN that is not one', async () => {
    const body = await expectError(await postKey(bedrockRoleBody('arn:aws:s3:::bucket'), BASE_CREDENTIALS_ENV), 400);
    expect(body.error).toMatchObject({ param: 'aws_role_arn' });
  });
});

describe('updating Bedrock keys', () => {
  it('keeps an assumed-role key updatable after the base credentials are removed', async () => {
    const slug = await createKeyFromBody(bedrockRoleBody(uniqueRoleArn()), BASE_CREDENTIALS_ENV);
    expect((await putKey(slug, { name: 'renamed' })).status).toBe(200);
    expect(await keyObject(slug)).toMatchObject({ name: 'renamed', model_config: { aws_auth_type: 'assumedRole' } });
  });

  it('rotates access keys only as a pair', async () => {
    const slug = await createKeyFromBody(bedrockAccessKeyBody());
    await expectError(await putKey(slug, { awsAccessKeyId: 'FAKEACCESSKEY00009' }), 400, 'missing_field');
    expect((await putKey(slug, { awsAccessKeyId: 'FAKEACCESSKEY00009', awsSecretAccessKey: 'secret-for-FAKEACCESSKEY00009' })).status).toBe(200);
    expect((await keyObject(slug)).masked_secrets).toEqual({ aws_access_key_id: '********0009', aws_secret_access_key: '********0009' });
  });

  it('ignores key beside a rotated access key pair, and refuses key alone on an access-key key', async () => {
    const slug = await createKeyFromBody(bedrockAccessKeyBody());
    const rotation = { key: 'portkey-example-key', awsAccessKeyId: 'FAKEACCESSKEY00008', awsSecretAccessKey: 'secret-for-FAKEACCESSKEY00008' };
    expect((await putKey(slug, rotation)).status).toBe(200);
    expect((await keyObject(slug)).masked_secrets).toEqual({ aws_access_key_id: '********0008', aws_secret_access_key: '********0008' });
    const body = await expectError(await putKey(slug, { key: 'fake-bedrock-api-key-0000000000009' }), 400, 'field_not_applicable');
    expect(body.message).toMatch(/applies only to aws_auth_type apiKey/);
  });

  it('switches to an assumed role and to an API key, changing region too', async () => {
    const slug = await createKeyFromBody(bedrockAccessKeyBody());
    const roleArn = uniqueRoleArn();
    expect((await putKey(slug, { awsAuthType: 'assumedRole', awsRoleArn: roleArn, awsRegion: 'eu-west-1' }, BASE_CREDENTIALS_ENV)).status).toBe(200);
    expect(await keyObject(slug)).toMatchObject({ masked_secrets: {}, model_config: { aws_region: 'eu-west-1', aws_auth_type: 'assumedRole', aws_role_arn: roleArn } });
    expect((await putKey(slug, { awsAuthType: 'apiKey', key: 'fake-bedrock-api-key-0000000000007' })).status).toBe(200);
    expect(await keyObject(slug)).toMatchObject({ masked_api_key: '********0007', model_config: { aws_auth_type: 'apiKey' } });
  });
});
