// Microsoft Entra ID access tokens by the OAuth 2.0 client credentials grant (RFC 6749 §4.4), as
// Entra's v2.0 token endpoint documents it, for the Azure OpenAI scope.
//
// Tokens are kept in isolate memory until 5 minutes before they expire, so many requests make one
// token request, and concurrent first requests share one fetch. A token is a credential: it never
// goes to storage, logs or errors. The cache key includes a hash of the client secret, so a
// virtual key that names the same tenant and client with a wrong secret never rides on another
// key's token.

import { KeygateError } from '../../errors';
import { sha256Hex } from '../../vault/crypto';

export const AZURE_OPENAI_SCOPE = 'https://cognitiveservices.azure.com/.default';
const REFRESH_MARGIN_MS = 5 * 60 * 1000;
const TOKEN_TIMEOUT_MS = 15_000;

export interface EntraClient {
  authorityHost: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

interface CachedToken {
  token: Promise<string>;
  /** When the token stops being handed out; Infinity while the fetch is under way. */
  refreshAt: number;
}

export class EntraTokenCache {
  readonly #entries = new Map<string, CachedToken>();

  constructor(private readonly now: () => number = Date.now) {}

  async token(client: EntraClient, keyLabel: string): Promise<string> {
    const cacheKey = await sha256Hex(JSON.stringify([client.authorityHost, client.tenantId, client.clientId, client.clientSecret]));
    const cached = this.#entries.get(cacheKey);
    if (cached && this.now() < cached.refreshAt) return cached.token;

    const entry: CachedToken = { token: Promise.resolve(''), refreshAt: Number.POSITIVE_INFINITY };
    entry.token = requestToken(client, keyLabel).then(
      ({ accessToken, expiresInSeconds }) => {
        entry.refreshAt = this.now() + expiresInSeconds * 1000 - REFRESH_MARGIN_MS;
        return accessToken;
      },
      (error: unknown) => {
        // A failure is not cached: the next request tries again.
        if (this.#entries.get(cacheKey) === entry) this.#entries.delete(cacheKey);
        throw error;
      },
    );
    this.#entries.set(cacheKey, entry);
    return entry.token;
  }
}

/** The cache the gateway uses: one per isolate. */
export const entraTokens = new EntraTokenCache();

async function requestToken(client: EntraClient, keyLabel: string): Promise<{ accessToken: string; expiresInSeconds: number }> {
  const url = `${client.authorityHost.replace(/\/+$/, '')}/${encodeURIComponent(client.tenantId)}/oauth2/v2.0/token`;
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: client.clientId,
    client_secret: client.clientSecret,
    scope: AZURE_OPENAI_SCOPE,
  });
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', body: form, signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS) });
  } catch {
    throw unavailable(keyLabel, 'could not be reached');
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
  const accessToken = body?.access_token;
  const expiresIn = Number(body?.expires_in);
  if (!response.ok || typeof accessToken !== 'string' || accessToken === '' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
    throw unavailable(keyLabel, response.ok ? 'answered without a usable token' : `answered HTTP ${response.status}`);
  }
  return { accessToken, expiresInSeconds: expiresIn };
}

function unavailable(keyLabel: string, what: string): KeygateError {
  return new KeygateError('upstream_unreachable', 'entra_unavailable', `The Microsoft Entra ID token endpoint for ${keyLabel} ${what}.`);
}
