// Vertex AI virtual keys on the admin API: a service account key file goes in whole and is checked
// at create time, retrieve shows who the account is and never its key, and an update rotates it.

import { describe, expect, it } from 'vitest';
import { adminRequest, expectError, keyObject, postKey, putKey, rowCount } from './support/keygate';
import { createVertexKey, newServiceAccount, vertexBody, type TestServiceAccount } from './support/vertex';

/** The response text must hold neither the key nor its base64 body (nor a long piece of it). */
async function expectNoPrivateKey(response: Response, account: TestServiceAccount) {
  const text = await response.clone().text();
  expect(text).not.toContain('PRIVATE KEY');
  expect(text).not.toContain(account.privateKeyBase64.slice(100, 140));
}

describe('creating a Vertex AI virtual key', () => {
  it('takes the key file as an object, defaults the project to its project_id, and shows only who it is', async () => {
    const account = await newServiceAccount();
    const response = await postKey(vertexBody(account));
    expect(response.status).toBe(200);
    await expectNoPrivateKey(response, account);
    const slug = ((await response.json()) as { data: { slug: string } }).data.slug;

    const retrieved = await adminRequest('GET', `/v1/virtual-keys/${slug}`);
    await expectNoPrivateKey(retrieved, account);
    const key = await keyObject(slug);
    expect(key.ai_provider_name).toBe('vertex-ai');
    expect(key.model_config).toEqual({
      vertex_project_id: 'test-project-1',
      vertex_region: 'us-central1',
      vertex_client_email: account.file.client_email,
    });
    expect(key.masked_api_key).toBe(`********${account.file.private_key_id.slice(-4)}`);
    expect(key.masked_secrets).toEqual({ vertex_private_key_id: `********${account.file.private_key_id.slice(-4)}` });
  });

  it('takes the key file as JSON text in snake_case, and a named project over the file’s', async () => {
    const account = await newServiceAccount();
    const response = await postKey({
      name: 'text form',
      provider: 'vertex-ai',
      vertex_region: 'global',
      vertex_project_id: 'other-project-7',
      vertex_service_account_json: JSON.stringify(account.file),
    });
    expect(response.status).toBe(200);
    const slug = ((await response.json()) as { data: { slug: string } }).data.slug;
    expect((await keyObject(slug)).model_config).toMatchObject({ vertex_project_id: 'other-project-7', vertex_region: 'global' });
  });

  it('needs a project when the key file has none', async () => {
    const account = await newServiceAccount();
    const { project_id: _dropped, ...withoutProject } = account.file;
    const before = await rowCount();
    const body = await expectError(await postKey(vertexBody(account, { vertexServiceAccountJson: withoutProject })), 400, 'missing_field');
    expect(body.error.param).toBe('vertex_project_id');
    expect(await rowCount()).toBe(before);
  });

  it('refuses a private key that does not import, now rather than on the first call, without quoting it', async () => {
    const account = await newServiceAccount();
    // PEM-shaped, but a line of the DER inside is missing: only an import can tell.
    const lines = account.file.private_key.split('\n');
    const broken = [...lines.slice(0, 5), ...lines.slice(6)].join('\n');
    expect(broken).not.toBe(account.file.private_key);
    const before = await rowCount();
    const response = await postKey(vertexBody(account, { vertexServiceAccountJson: { ...account.file, private_key: broken } }));
    const body = await expectError(response, 400, 'invalid_service_account');
    expect(body.error.param).toBe('vertex_service_account_json');
    expect(body.error.message).toMatch(/does not import/);
    expect(JSON.stringify(body)).not.toContain(account.privateKeyBase64.slice(100, 140));
    expect(await rowCount()).toBe(before);
  });

  it('refuses an RSA key shorter than 2048 bits, which the signer would refuse on every call', async () => {
    const account = await newServiceAccount({ modulusLength: 1024 });
    const body = await expectError(await postKey(vertexBody(account)), 400, 'invalid_service_account');
    expect(body.error.message).toMatch(/at least 2048 bits/);
    const slug = await createVertexKey(await newServiceAccount());
    await expectError(await putKey(slug, { vertexServiceAccountJson: account.file }), 400, 'invalid_service_account');
  });

  it('refuses a PEM of nothing but whitespace', async () => {
    const account = await newServiceAccount({ register: false });
    const blank = `-----BEGIN PRIVATE KEY-----${' '.repeat(15_000)}!`;
    await expectError(await postKey(vertexBody(account, { vertexServiceAccountJson: { ...account.file, private_key: blank } })), 400);
  });

  it('refuses an EC key, which cannot sign RS256', async () => {
    const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign'])) as CryptoKeyPair;
    const der = new Uint8Array((await crypto.subtle.exportKey('pkcs8', pair.privateKey)) as ArrayBuffer);
    const ecPem = `-----BEGIN PRIVATE KEY-----\n${btoa(String.fromCharCode(...der))}\n-----END PRIVATE KEY-----\n`;
    const account = await newServiceAccount({ register: false });
    await expectError(await postKey(vertexBody(account, { vertexServiceAccountJson: { ...account.file, private_key: ecPem } })), 400, 'invalid_service_account');
  });

  it.each([
    ['a file of another kind', { type: 'authorized_user' }, /type must be service_account/],
    ['a missing client_email', { client_email: undefined }, /client_email/],
    ['a missing private_key_id', { private_key_id: undefined }, /private_key_id/],
    ['a PKCS#1 key', { private_key: '-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n' }, /PKCS#8/],
  ])('refuses %s, naming the field', async (_case, change, message) => {
    const account = await newServiceAccount({ register: false });
    const body = await expectError(await postKey(vertexBody(account, { vertexServiceAccountJson: { ...account.file, ...change } })), 400);
    expect(body.error.param).toBe('vertex_service_account_json');
    expect(body.error.message).toMatch(message);
  });

  it('refuses text that is not JSON, and text too long, without echoing either', async () => {
    const account = await newServiceAccount({ register: false });
    const notJson = `{"private_key": "${account.privateKeyBase64}`;
    const body = await expectError(await postKey(vertexBody(account, { vertexServiceAccountJson: notJson })), 400);
    expect(JSON.stringify(body)).not.toContain(account.privateKeyBase64.slice(100, 140));
    const long = JSON.stringify({ ...account.file, padding: 'x'.repeat(20_000) });
    const tooLong = await expectError(await postKey(vertexBody(account, { vertexServiceAccountJson: long })), 400);
    expect(tooLong.error.message).toMatch(/at most 16 KiB/);
    expect(JSON.stringify(tooLong).length).toBeLessThan(1_000);
    const tooLongObject = await expectError(await postKey(vertexBody(account, { vertexServiceAccountJson: JSON.parse(long) })), 400);
    expect(tooLongObject.error.message).toMatch(/at most 16 KiB/);
  });

  it('refuses a region that is not one, and fields of other providers', async () => {
    const account = await newServiceAccount({ register: false });
    expect((await expectError(await postKey(vertexBody(account, { vertexRegion: 'us-central1/../x' })), 400)).error.param).toBe('vertex_region');
    await expectError(await postKey(vertexBody(account, { key: 'vertex test' })), 400);
  });
});

describe('updating a Vertex AI virtual key', () => {
  it('rotates the key file and changes the region, keeping the slug and the project', async () => {
    const first = await newServiceAccount();
    const slug = await createVertexKey(first, { vertexProjectId: 'named-project-1' });
    const second = await newServiceAccount();
    const response = await putKey(slug, { vertexServiceAccountJson: second.file, vertexRegion: 'europe-west4' });
    expect(response.status).toBe(200);
    await expectNoPrivateKey(response, second);
    const key = await keyObject(slug);
    expect(key.slug).toBe(slug);
    expect(key.model_config).toEqual({ vertex_project_id: 'named-project-1', vertex_region: 'europe-west4', vertex_client_email: second.file.client_email });
    expect(key.masked_api_key).toBe(`********${second.file.private_key_id.slice(-4)}`);
  });

  it('refuses a broken replacement file and keeps the key as it was', async () => {
    const account = await newServiceAccount();
    const slug = await createVertexKey(account);
    const before = await keyObject(slug);
    const replacement = await newServiceAccount();
    const broken = { ...replacement.file, private_key_id: '' };
    await expectError(await putKey(slug, { vertexServiceAccountJson: broken, vertexRegion: 'europe-west4' }), 400);
    expect(await keyObject(slug)).toEqual(before);
  });
});
