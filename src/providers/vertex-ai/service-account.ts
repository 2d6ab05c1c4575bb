// A Google service account key, as the JSON file Google Cloud hands out. The whole JSON is the
// Vertex key's sealed secret; these are the checks it passes before it is stored, so a broken file
// is a 400 at create time, not a 502 on the first call.
//
// Messages name the field that is wrong and never quote a value: the file holds a private key.

import { importPKCS8 } from 'jose';
import * as z from 'zod/mini';
import { invalidRequest, KeygateError } from '../../errors';

/** The fields Keygate uses. The JSON may hold more (token_uri, client_id…); they are sealed with it and unused. */
export interface ServiceAccount {
  type: 'service_account';
  client_email: string;
  private_key_id: string;
  private_key: string;
  project_id?: string;
}

const FIELD = 'vertex_service_account_json';
// A real file is about 2.4 KB; the bound keeps a create from sealing megabytes.
const MAX_JSON_LENGTH = 16_384;
// One run of base64 and whitespace: no two parts of the pattern can match the same characters, so
// it runs in linear time on any input.
const PKCS8_PEM = /^-----BEGIN PRIVATE KEY-----[A-Za-z0-9+/=\s]+-----END PRIVATE KEY-----\s*$/;
const EMAIL = /^[^\s@]{1,64}@[A-Za-z0-9.-]{1,255}$/;
// It goes into the JWT header as `kid`.
const KEY_ID = /^[\x21-\x7e]{1,200}$/;

const TOO_LONG = `must be at most ${MAX_JSON_LENGTH / 1024} KiB of JSON`;

/** What is wrong with `value` as a service account, or null. */
function problemOf(value: unknown): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'must be the service account key file: a JSON object or its text';
  const account = value as Record<string, unknown>;
  if (account.type !== 'service_account') return 'type must be service_account (a service account key file)';
  if (typeof account.client_email !== 'string' || !EMAIL.test(account.client_email)) return 'client_email must be the service account’s email address';
  if (typeof account.private_key_id !== 'string' || !KEY_ID.test(account.private_key_id)) return 'private_key_id must be the key’s id';
  if (typeof account.private_key !== 'string' || !PKCS8_PEM.test(account.private_key)) {
    return 'private_key must be a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)';
  }
  if (account.project_id !== undefined && typeof account.project_id !== 'string') return 'project_id must be a string';
  return null;
}

/** The service account as an object or as its JSON text; the output is the object, checked. */
// The pipe from z.unknown() keeps the field required (a bare transform reads as optional).
export const serviceAccountJson = z.pipe(z.unknown(), z.transform((input: unknown, context): ServiceAccount => {
  let value = input;
  let problem: string | null = null;
  if (typeof input === 'string') {
    try {
      value = input.length > MAX_JSON_LENGTH ? null : JSON.parse(input);
    } catch {
      // JSON.parse's message quotes the text, which holds a private key: it is not passed on.
      value = null;
    }
    if (input.length > MAX_JSON_LENGTH) problem = TOO_LONG;
  } else if (input !== null && typeof input === 'object' && JSON.stringify(input).length > MAX_JSON_LENGTH) {
    problem = TOO_LONG;
  }
  problem ??= problemOf(value);
  if (problem) context.issues.push({ code: 'custom', message: problem, input: null });
  return value as ServiceAccount;
}));

/** RS256 keys shorter than this are refused by jose's signer (and by Google). */
const MIN_MODULUS_BITS = 2048;

/**
 * A 400 unless the private key imports as an RS256 signing key that jose will sign with: the same
 * import the token request makes, tried now, and the signer's own length rule. jose's error says
 * why, but may quote the key's bytes: it is not passed on.
 */
export async function assertImportable(account: ServiceAccount): Promise<void> {
  let key: CryptoKey;
  try {
    key = await importPKCS8(account.private_key, 'RS256');
  } catch {
    throw invalidRequest('invalid_service_account', `${FIELD}: private_key does not import as an RSA private key for RS256`, FIELD);
  }
  if (((key.algorithm as { modulusLength?: number }).modulusLength ?? 0) < MIN_MODULUS_BITS) {
    throw invalidRequest('invalid_service_account', `${FIELD}: private_key must be an RSA key of at least ${MIN_MODULUS_BITS} bits`, FIELD);
  }
}

/** The sealed secret of a Vertex key: the whole service account JSON. */
export function sealedAccount(account: ServiceAccount): Record<string, string> {
  return { service_account: JSON.stringify(account) };
}

/** The service account back from an opened secret. Stored secrets passed the checks above. */
export function openedAccount(secret: Record<string, string>, slug: string): ServiceAccount {
  let account: unknown = null;
  try {
    account = JSON.parse(secret.service_account ?? 'null');
  } catch {
    // V8's message would quote the secret; it is dropped, as the vault drops its own.
  }
  if (problemOf(account)) {
    throw new KeygateError('internal', 'virtual_key_config_invalid', `Virtual key ${slug} holds a service account that Keygate cannot read.`);
  }
  return account as ServiceAccount;
}
