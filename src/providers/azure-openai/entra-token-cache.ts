// Microsoft Entra ID access tokens by the OAuth 2.0 client credentials grant (RFC 6749 §4.4), as
// Entra's v2.0 token endpoint documents it, for the Azure OpenAI scope.
//
// Tokens are kept in isolate memory until 5 minutes before they expire, so many requests make one
// token request, and concurrent first requests share one fetch. A token is a credential: it never
// goes to storage, logs or errors. The cache key includes a hash of the client secret, so a
// virtual key that names the same tenant and client with a wrong secret never rides on another
// key's token.

import { KeygateError } from '../../errors';
import { logEvent, networkFailureFields } from '../../log';
import { sha256Hex } from '../../vault/crypto';
import { ExpiringCache } from '../expiring-cache';
import { tokenFromAnswer, type TokenAnswer } from '../oauth-token-answer';

export const AZURE_OPENAI_SCOPE = 'https://cognitiveservices.azure.com/.default';
const TOKEN_TIMEOUT_MS = 15_000;

export interface EntraClient {
  authorityHost: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

export class EntraTokenCache {
  readonly #tokens: ExpiringCache<string>;

  constructor(private readonly now: () => number = Date.now) {
    this.#tokens = new ExpiringCache<string>(now);
  }

  async token(client: EntraClient, keyLabel: string): Promise<string> {
    const cacheKey = await sha256Hex(JSON.stringify([client.authorityHost, client.tenantId, client.clientId, client.clientSecret]));
    return this.#tokens.get(cacheKey, async () => {
      const { accessToken, expiresInSeconds } = await requestToken(client, keyLabel);
      return { value: accessToken, expiresAt: this.now() + expiresInSeconds * 1000 };
    });
  }
}

/** The cache the gateway uses: one per isolate. */
export const entraTokens = new EntraTokenCache();

async function requestToken(client: EntraClient, keyLabel: string): Promise<TokenAnswer> {
  const url = `${client.authorityHost.replace(/\/+$/, '')}/${encodeURIComponent(client.tenantId)}/oauth2/v2.0/token`;
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: client.clientId,
    client_secret: client.clientSecret,
    scope: AZURE_OPENAI_SCOPE,
  });
  let response: Response;
  try {
    // No redirects: a redirect would carry the client secret to another host.
    response = await fetch(url, { method: 'POST', body: form, redirect: 'manual', signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS) });
  } catch (error) {
    // The operator's view (host, error class, DNS / TLS / refused …); the tenant in the path, the
    // form and any token stay out.
    logEvent('error', 'entra_unreachable', { subject: keyLabel, ...networkFailureFields(url, error) });
    throw Object.assign(unavailable(keyLabel, 'could not be reached'), { cause: error });
  }
  const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
  if (response.status === 400 || response.status === 401) {
    // Entra's error code and AADSTS number say what is wrong (e.g. AADSTS7000215: invalid secret)
    // without repeating anything secret; the rest of its description is left out.
    const reasons = [body?.error, /AADSTS\d+/.exec(String(body?.error_description ?? ''))?.[0]].filter((part) => typeof part === 'string');
    throw new KeygateError(
      'unauthenticated',
      'entra_token_refused',
      `Microsoft Entra ID refused the client credentials of ${keyLabel}${reasons.length ? ` (${reasons.join(', ')})` : ''}.`,
    );
  }
  return tokenFromAnswer(response, body, (what) => unavailable(keyLabel, what));
}

function unavailable(keyLabel: string, what: string): KeygateError {
  return new KeygateError('upstream_unreachable', 'entra_unavailable', `The Microsoft Entra ID token endpoint for ${keyLabel} ${what}.`);
}
