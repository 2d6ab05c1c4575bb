// Google OAuth 2.0 access tokens for a service account, by the JWT bearer grant (RFC 7523) as
// Google documents it for server-to-server calls: a JWT signed with the account's private key
// (RS256, `kid` the key's id) is exchanged at the token endpoint for an hour-long access token.
//
// Tokens are kept in isolate memory until 5 minutes before they expire, and concurrent first calls
// share one exchange (the ExpiringCache the Entra and STS credentials use). The imported signing
// key is kept too, so a refresh signs without importing again. Both are keyed by a digest of the
// account's key, never by the key: a virtual key whose file has the same account but another key
// never rides on this one's token, and a rotated file gets its own token at once. Neither a token
// nor the assertion ever goes to storage, logs or errors.

import { importPKCS8, SignJWT } from 'jose';
import { KeygateError, quoted } from '../../errors';
import { logEvent, networkFailureFields } from '../../log';
import { sha256Hex } from '../../vault/crypto';
import { ExpiringCache } from '../expiring-cache';
import { tokenFromAnswer, type TokenAnswer } from '../oauth-token-answer';
import type { ServiceAccount } from './service-account';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ASSERTION_LIFETIME_SECONDS = 3600;
const TOKEN_TIMEOUT_MS = 15_000;
// Signing keys of this many accounts are kept; past it, the oldest import goes.
const MAX_SIGNING_KEYS = 100;

export class GoogleTokenCache {
  readonly #tokens: ExpiringCache<string>;
  readonly #signingKeys = new Map<string, Promise<CryptoKey>>();

  /** `now` times the cache; the JWT's own `iat` is always the real clock, as Google checks it. */
  constructor(private readonly now: () => number = Date.now) {
    this.#tokens = new ExpiringCache<string>(now);
  }

  async token(account: ServiceAccount, tokenUrl: string, keyLabel: string): Promise<string> {
    const digest = await digestOf(account, tokenUrl);
    return this.#tokens.get(digest, async () => {
      const assertion = await signedAssertion(account, tokenUrl, await this.#signingKey(digest, account.private_key));
      const { accessToken, expiresInSeconds } = await exchange(tokenUrl, assertion, account.client_email, keyLabel);
      return { value: accessToken, expiresAt: this.now() + expiresInSeconds * 1000 };
    });
  }

  /** Vertex refused the account's token (revoked, or the account disabled): the next call asks Google again. */
  async forget(account: ServiceAccount, tokenUrl: string): Promise<void> {
    this.#tokens.forget(await digestOf(account, tokenUrl));
  }

  #signingKey(digest: string, privateKey: string): Promise<CryptoKey> {
    let key = this.#signingKeys.get(digest);
    if (!key) {
      if (this.#signingKeys.size >= MAX_SIGNING_KEYS) this.#signingKeys.delete(this.#signingKeys.keys().next().value!);
      key = importPKCS8(privateKey, 'RS256');
      key.catch(() => this.#signingKeys.delete(digest));
      this.#signingKeys.set(digest, key);
    }
    return key;
  }
}

/** The cache the gateway uses: one per isolate. */
export const googleTokens = new GoogleTokenCache();

function digestOf(account: ServiceAccount, tokenUrl: string): Promise<string> {
  return sha256Hex(JSON.stringify([tokenUrl, account.client_email, account.private_key_id, account.private_key]));
}

function signedAssertion(account: ServiceAccount, tokenUrl: string, key: CryptoKey): Promise<string> {
  const issuedAt = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: CLOUD_PLATFORM_SCOPE })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: account.private_key_id })
    .setIssuer(account.client_email)
    .setSubject(account.client_email)
    .setAudience(tokenUrl)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + ASSERTION_LIFETIME_SECONDS)
    .sign(key);
}

async function exchange(tokenUrl: string, assertion: string, account: string, keyLabel: string): Promise<TokenAnswer> {
  let response: Response;
  try {
    // No redirects: a redirect would carry the assertion to another host.
    response = await fetch(tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion }),
      redirect: 'manual',
      signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS),
    });
  } catch (error) {
    logEvent('error', 'google_token_unreachable', { subject: keyLabel, ...networkFailureFields(tokenUrl, error) });
    throw Object.assign(unavailable(keyLabel, 'could not be reached'), { cause: error });
  }
  const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
  if (response.status === 400 || response.status === 401 || response.status === 403) {
    // Google's `error` and `error_description` say what is wrong (invalid_grant: Invalid JWT
    // Signature, account not found…). Cut short, and with anything shaped like a JWT removed, so the
    // message can never carry the assertion back.
    const reason = [body?.error, body?.error_description]
      .filter((part): part is string => typeof part === 'string' && part !== '')
      .map((part) => quoted(part.replace(/[\w-]{8,}\.[\w-]{8,}\.[\w-]*/g, '…'), 200))
      .join(': ');
    throw new KeygateError(
      'upstream_invalid',
      'google_token_refused',
      `Google refused the service account ${quoted(account, 100)} of ${keyLabel}${reason ? ` (${reason})` : ''}.`,
    );
  }
  return tokenFromAnswer(response, body, (what) => unavailable(keyLabel, what));
}

function unavailable(keyLabel: string, what: string): KeygateError {
  return new KeygateError('upstream_unreachable', 'google_token_unavailable', `The Google token endpoint for ${keyLabel} ${what}.`);
}
