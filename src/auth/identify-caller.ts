// Turns a presented key into the request's principal: the bootstrap ADMIN_API_KEY, or an API key
// found by the SHA-256 digest of what was presented.
//
// Timing: the presented key is hashed once. The bootstrap key is compared digest to digest in
// constant time. API keys are found by their digest; a lookup's timing can tell at most something
// about a digest, never about a key (its preimage), which is why storing and indexing SHA-256
// digests of high-entropy tokens is safe.
//
// Wrong keys are counted per client address (failed-sign-ins.ts): past the limit, the address gets
// 429 before anything is looked up, whatever key it presents.

import { KeygateError, unauthenticated } from '../errors';
import { failureFields, logEvent } from '../log';
import { apiKeyLevel } from '../limits/limit-levels';
import { hasPassed, type AuthenticatedApiKey } from '../store/api-key-record';
import { findApiKeyCredential } from '../store/api-key-cache';
import { anyApiKeyExists, recordApiKeyUse } from '../store/api-keys-table';
import { organisationId } from '../store/workspaces-table';
import { digestsEqual, sha256 } from '../vault/crypto';
import { isApiKeyShaped } from '../vault/api-key-token';
import { hexEncode } from '../vault/encoding';
import { addressGroup, failedSignIns, FAILED_SIGN_IN_LIMIT, FAILED_SIGN_IN_WINDOW_MS } from './failed-sign-ins';
import type { Principal } from './principal';
import { SCOPES } from './scopes';

const EVERY_SCOPE = new Set(SCOPES);

// The bootstrap key's digest, computed once per isolate (and again only if the secret changes).
let bootstrapKey: { secret: string; digest: Promise<Uint8Array> } | null = null;

function bootstrapDigest(secret: string): Promise<Uint8Array> {
  if (bootstrapKey?.secret !== secret) bootstrapKey = { secret, digest: sha256(secret) };
  return bootstrapKey.digest;
}

/** The bootstrap secret, when one is configured. */
function bootstrapSecret(env: Env): string | null {
  const configured = env.ADMIN_API_KEY;
  return typeof configured === 'string' && configured.trim() !== '' ? configured.trim() : null;
}

/**
 * The principal behind `presented`. `clientAddress` is the caller's address as Cloudflare reports
 * it (CF-Connecting-IP); without one (a service binding, a local tool) wrong keys are not counted.
 */
export async function identifyCaller(
  env: Env,
  context: Pick<ExecutionContext, 'waitUntil'>,
  presented: string | null,
  clientAddress: string | null = null,
): Promise<Principal> {
  const slowedDown = clientAddress ? slowDown(clientAddress) : null;
  try {
    return await principalFor(env, context, presented, slowedDown);
  } catch (error) {
    if (clientAddress && error instanceof KeygateError && error.kind === 'unauthenticated' && presented !== null) {
      countWrongKey(clientAddress);
    }
    throw error;
  }
}

async function principalFor(
  env: Env,
  context: Pick<ExecutionContext, 'waitUntil'>,
  presented: string | null,
  slowedDown: KeygateError | null,
): Promise<Principal> {
  const bootstrap = bootstrapSecret(env);
  if (presented === null) {
    await refuseIfNobodyCanSignIn(env, bootstrap);
    throw unauthenticated('missing_api_key', 'No API key: send it as x-portkey-api-key or as Authorization: Bearer <key>.');
  }
  const digest = await sha256(presented);
  if (bootstrap !== null && digestsEqual(digest, await bootstrapDigest(bootstrap))) {
    return {
      kind: 'bootstrap',
      organisationId: await organisationId(env.DB),
      workspaceId: null,
      apiKeyId: null,
      userId: null,
      scopes: EVERY_SCOPE,
      expiresAt: null,
      allowedModels: [],
      limits: null,
    };
  }
  // Anything that is not shaped like a key Keygate issues can't be one: refused before any
  // storage read, so a stream of junk keys costs no KV or D1 reads.
  const found = isApiKeyShaped(presented)
    ? await findApiKeyCredential(env, context, hexEncode(digest), { isolateOnly: slowedDown !== null })
    : null;
  // A slowed-down address gets 429 for any key this isolate doesn't hold: the storage read is what
  // the limit saves. Keys it holds (in use moments ago) and the bootstrap key still work, so one
  // client behind a shared address (a NAT, Cloudflare's own Workers egress) can't lock out the rest.
  if (!found && slowedDown) throw slowedDown;
  if (!found) {
    await refuseIfNobodyCanSignIn(env, bootstrap);
    throw unauthenticated('invalid_api_key', 'The API key is not valid.');
  }
  const now = Date.now();
  if (hasPassed(found.credentialExpiresAt, now)) {
    throw unauthenticated('invalid_api_key', `The API key was rotated and its transition period ended at ${found.credentialExpiresAt}.`);
  }
  if (hasPassed(found.key.expiresAt, now)) {
    throw unauthenticated('api_key_expired', `The API key expired at ${found.key.expiresAt}.`);
  }
  noteUse(env, context, found.key.id, now);
  return principalOf(found);
}

/**
 * The 429 an address over the limit gets for a key that would need a D1 read, or null when it is
 * not slowed down. Keys of 256 random bits can't be guessed anyway: the limit protects storage.
 */
function slowDown(clientAddress: string): KeygateError | null {
  const retryAfterSeconds = failedSignIns.retryAfterSeconds(clientAddress);
  if (retryAfterSeconds === null) return null;
  return new KeygateError(
    'rate_limited',
    'too_many_invalid_api_keys',
    `Too many requests with a wrong API key from this address; try again in ${retryAfterSeconds} s.`,
    null,
    retryAfterSeconds,
  );
}

function countWrongKey(clientAddress: string): void {
  if (failedSignIns.recordFailure(clientAddress)) {
    // Once per address and window, so the log can't be flooded either. The address (its /64 for
    // IPv6) is what an operator needs to block it; no key is logged.
    logEvent('warn', 'invalid_api_keys_throttled', {
      address: addressGroup(clientAddress),
      failures: FAILED_SIGN_IN_LIMIT,
      windowSeconds: FAILED_SIGN_IN_WINDOW_MS / 1000,
    });
  }
}

// Once an API key has existed, asking again per request would only cost a D1 read: it is
// remembered per isolate. (A deleted last key then reads as invalid_api_key, which it is.)
let someApiKeyExisted = false;

/** With no bootstrap key and no API key at all, nobody can get in; the error says why (fail closed). */
async function refuseIfNobodyCanSignIn(env: Env, bootstrap: string | null): Promise<void> {
  if (bootstrap !== null || someApiKeyExisted) return;
  someApiKeyExisted = await anyApiKeyExists(env.DB);
  if (!someApiKeyExisted) {
    throw new KeygateError(
      'internal',
      'admin_api_key_missing',
      'Keygate is misconfigured: ADMIN_API_KEY is not set and no API key exists, so nobody can sign in. Set ADMIN_API_KEY to create the first API key.',
    );
  }
}

// One principal per cached record: its scope set is built once, not on every request.
const principals = new WeakMap<AuthenticatedApiKey, Principal>();

function principalOf(found: AuthenticatedApiKey): Principal {
  let principal = principals.get(found);
  if (!principal) {
    const { key } = found;
    principal = {
      kind: key.type,
      organisationId: key.organisationId,
      workspaceId: key.workspaceId,
      apiKeyId: key.id,
      userId: key.userId,
      scopes: new Set(key.scopes),
      expiresAt: key.expiresAt,
      allowedModels: key.allowedModels,
      limits: { level: apiKeyLevel(key), modelLimits: key.limits.modelLimits },
    };
    principals.set(found, principal);
  }
  return principal;
}

// `last_used_at` may lag: at most one D1 write a minute per key per isolate, after the response.
const USE_WRITE_INTERVAL_MS = 60_000;
const MAX_TRACKED_KEYS = 10_000;
const lastUseWrites = new Map<string, number>();

function noteUse(env: Env, context: Pick<ExecutionContext, 'waitUntil'>, apiKeyId: string, now: number): void {
  const previous = lastUseWrites.get(apiKeyId);
  if (previous !== undefined && now - previous < USE_WRITE_INTERVAL_MS) return;
  if (lastUseWrites.size >= MAX_TRACKED_KEYS) lastUseWrites.clear();
  lastUseWrites.set(apiKeyId, now);
  context.waitUntil(
    recordApiKeyUse(env.DB, apiKeyId, new Date(now).toISOString()).catch((error: unknown) => {
      logEvent('warn', 'last_used_not_written', { apiKeyId, ...failureFields(error) });
    }),
  );
}
