// Vertex AI service accounts for the tests. Each is a fresh RSA key pair made here, in the test:
// its private key goes into the key file as Google would hand it out, and its public key is
// registered with the fake Google token endpoint, which checks every JWT's signature with it. No
// private key is committed anywhere.

import { createKeyFromBody, fakeUpstreamUrl } from './keygate';

export interface ServiceAccountFile {
  type: string;
  project_id?: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
  [field: string]: unknown;
}

export interface TestServiceAccount {
  file: ServiceAccountFile;
  /** The base64 body of the PEM private key, on one line: what a leak scan looks for. */
  privateKeyBase64: string;
}

function pem(label: string, der: ArrayBuffer): string {
  const base64 = btoa(String.fromCharCode(...new Uint8Array(der)));
  return `-----BEGIN ${label}-----\n${base64.match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
}

const hex = (bytes: number) => Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (byte) => byte.toString(16).padStart(2, '0')).join('');

/**
 * A new service account of project `test-project-1`, registered with the fake Google. `expiresIn`
 * sets the lifetime of its access tokens; a `disabled` account is refused as Google refuses one.
 */
export async function newServiceAccount(
  options: { expiresIn?: number; disabled?: boolean; register?: boolean; modulusLength?: number } = {},
): Promise<TestServiceAccount> {
  const pair = (await crypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: options.modulusLength ?? 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['sign', 'verify'],
  )) as CryptoKeyPair;
  const pkcs8 = (await crypto.subtle.exportKey('pkcs8', pair.privateKey)) as ArrayBuffer;
  const spki = (await crypto.subtle.exportKey('spki', pair.publicKey)) as ArrayBuffer;
  const kid = hex(20);
  const clientEmail = `keygate-${hex(4)}@test-project-1.iam.gserviceaccount.com`;
  if (options.register !== false) {
    const registered = await fetch(`${fakeUpstreamUrl()}/__fake/google/accounts`, {
      method: 'POST',
      body: JSON.stringify({ kid, client_email: clientEmail, public_key: pem('PUBLIC KEY', spki), expires_in: options.expiresIn, disabled: options.disabled }),
    });
    if (!registered.ok) throw new Error(`the fake Google refused the account: ${registered.status}`);
  }
  return {
    file: {
      type: 'service_account',
      project_id: 'test-project-1',
      private_key_id: kid,
      private_key: pem('PRIVATE KEY', pkcs8),
      client_email: clientEmail,
      client_id: '100000000000000000001',
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: 'https://oauth2.googleapis.com/token',
    },
    privateKeyBase64: btoa(String.fromCharCode(...new Uint8Array(pkcs8))),
  };
}

/** A create body as the Portkey docs spell it (camelCase), for `account`. */
export function vertexBody(account: TestServiceAccount, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'Vertex key',
    provider: 'vertex-ai',
    vertexRegion: 'us-central1',
    vertexServiceAccountJson: account.file,
    ...overrides,
  };
}

export async function createVertexKey(account: TestServiceAccount, overrides: Record<string, unknown> = {}): Promise<string> {
  return createKeyFromBody(vertexBody(account, overrides));
}

export interface GoogleTokenRequest {
  grant_type: string;
  claims: Record<string, unknown>;
}

/** Makes the fake Vertex refuse every token issued to the account so far, as for a revoked one. */
export async function revokeTokens(clientEmail: string): Promise<void> {
  await fetch(`${fakeUpstreamUrl()}/__fake/google/revoke?account=${encodeURIComponent(clientEmail)}`, { method: 'POST' });
}

/** The token requests the fake Google received for one service account. */
export async function googleTokenRequests(clientEmail: string): Promise<GoogleTokenRequest[]> {
  const response = await fetch(`${fakeUpstreamUrl()}/__fake/google/token-requests?account=${encodeURIComponent(clientEmail)}`);
  return (await response.json()) as GoogleTokenRequest[];
}
