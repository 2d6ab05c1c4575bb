// The access token in an OAuth 2.0 token endpoint's answer (RFC 6749 §5.1), shared by the
// providers that exchange credentials for one (Entra ID for Azure, Google for Vertex AI).

import type { KeygateError } from '../errors';

export interface TokenAnswer {
  accessToken: string;
  expiresInSeconds: number;
}

/**
 * The token and its lifetime, or the error `unavailable` makes of what was wrong: a failed answer,
 * or one without a usable token. Refusals (400, 401) are each provider's to word before this.
 */
export function tokenFromAnswer(response: Response, body: Record<string, unknown> | null, unavailable: (what: string) => KeygateError): TokenAnswer {
  const accessToken = body?.access_token;
  const expiresIn = Number(body?.expires_in);
  if (!response.ok || typeof accessToken !== 'string' || accessToken === '' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
    throw unavailable(response.ok ? 'answered without a usable token' : `answered HTTP ${response.status}`);
  }
  return { accessToken, expiresInSeconds: expiresIn };
}
