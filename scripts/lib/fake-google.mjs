// Local stand-ins for Google's OAuth token endpoint and Vertex AI's OpenAI-compatible chat
// endpoint, for tests. The token endpoint checks a service account's JWT as Google does: the RS256
// signature against the account's public key, and `kid`, `iss`, `sub`, `aud`, `scope`, `iat` and
// `exp`. Vertex refuses any bearer token the fake did not issue.
//
// Service accounts are registered by the test that made their key pair:
//   POST /__fake/google/accounts {kid, client_email, public_key (SPKI PEM), expires_in?, disabled?}
// The token requests one account made: GET /__fake/google/token-requests?account=<client_email>.
// POST /__fake/google/revoke?account=<client_email> revokes the tokens issued to an account so far.
// Hosts: POST /google/token; /vertex/{region}/v1/projects/{p}/locations/{region}/endpoints/openapi/…
// for regional hosts and /vertex-global/v1/projects/{p}/locations/global/… for the global one.

import { createPublicKey, verify } from 'node:crypto';

const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const VERTEX_PATH = /^\/(vertex\/([a-z0-9-]+)|vertex-global)\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/endpoints\/openapi(\/.*)$/;

function sendJson(response, status, body) {
  response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  response.end(JSON.stringify(body));
}

/** Google's APIs answer errors as a list of one. */
function googleError(response, status, message, code) {
  sendJson(response, status, [{ error: { code: status, message, status: code } }]);
}

const decodePart = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

/** Why Google would refuse this assertion, or null. */
function assertionProblem(assertion, audience, accounts) {
  const parts = String(assertion ?? '').split('.');
  if (parts.length !== 3) return ['invalid_grant', 'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe'];
  let header;
  let claims;
  try {
    header = decodePart(parts[0]);
    claims = decodePart(parts[1]);
  } catch {
    return ['invalid_grant', 'Invalid JWT: could not be decoded'];
  }
  const account = accounts.get(header.kid);
  if (header.alg !== 'RS256' || !account) return ['invalid_grant', 'Invalid JWT Signature.'];
  const signed = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), account.publicKey, Buffer.from(parts[2], 'base64url'));
  if (!signed) return ['invalid_grant', 'Invalid JWT Signature.'];
  if (claims.iss !== account.client_email || claims.sub !== account.client_email) return ['invalid_grant', 'Invalid grant: account not found'];
  if (claims.aud !== audience) return ['invalid_grant', 'Invalid JWT: Failed audience check.'];
  if (claims.scope !== SCOPE) return ['invalid_scope', 'Invalid OAuth scope or ID token audience provided.'];
  const now = Math.floor(Date.now() / 1000);
  if (!Number.isInteger(claims.iat) || claims.exp !== claims.iat + 3600 || claims.exp <= now) {
    return ['invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.'];
  }
  if (account.disabled) return ['invalid_grant', 'Invalid grant: account not found'];
  return null;
}

/**
 * Answers the Google and Vertex requests; true when it did. For a Vertex chat call that passes its
 * checks it answers nothing and returns `{ apiPath }`, so the OpenAI fake answers it in OpenAI's
 * shape, with usage in the last chunk that has choices, as Gemini sends it.
 */
export async function handleGoogle(request, url, bodyText, response, state) {
  state.googleAccounts ??= new Map();
  state.googleTokenRequests ??= new Map();
  state.googleTokens ??= new Map();
  if (url.pathname === '/__fake/google/accounts' && request.method === 'POST') {
    const account = JSON.parse(bodyText);
    state.googleAccounts.set(account.kid, { ...account, publicKey: createPublicKey(account.public_key) });
    sendJson(response, 200, { registered: true });
    return true;
  }
  if (url.pathname === '/__fake/google/revoke') {
    for (const [token, account] of state.googleTokens) if (account === url.searchParams.get('account')) state.googleTokens.delete(token);
    sendJson(response, 200, { revoked: true });
    return true;
  }
  if (url.pathname === '/__fake/google/token-requests') {
    sendJson(response, 200, state.googleTokenRequests.get(url.searchParams.get('account')) ?? []);
    return true;
  }
  if (url.pathname === '/google/token') {
    // Concurrent requests really overlap.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const form = new URLSearchParams(bodyText);
    const assertion = form.get('assertion') ?? '';
    let claims = {};
    try {
      claims = decodePart(assertion.split('.')[1]);
    } catch {
      // Refused below.
    }
    const requests = state.googleTokenRequests.get(claims.iss) ?? [];
    requests.push({ grant_type: form.get('grant_type'), claims });
    state.googleTokenRequests.set(claims.iss, requests);
    if (form.get('grant_type') !== JWT_BEARER) {
      sendJson(response, 400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type: ' });
      return true;
    }
    const problem = assertionProblem(assertion, `http://${request.headers.host}/google/token`, state.googleAccounts);
    if (problem) {
      sendJson(response, 400, { error: problem[0], error_description: problem[1] });
      return true;
    }
    const account = state.googleAccounts.get(decodePart(assertion.split('.')[0]).kid);
    const token = `fake-google-token-${++state.tokenCounter}`;
    state.googleTokens.set(token, account.client_email);
    sendJson(response, 200, { access_token: token, expires_in: account.expires_in ?? 3599, token_type: 'Bearer' });
    return true;
  }
  const vertex = VERTEX_PATH.exec(url.pathname);
  if (!vertex) return false;
  const [, , host, , location, apiPath] = vertex;
  const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  if (!bearer || !state.googleTokens.has(bearer)) {
    googleError(response, 401, 'Request had invalid authentication credentials. Expected OAuth 2 access token.', 'UNAUTHENTICATED');
    return true;
  }
  if (location !== (host ?? 'global')) {
    googleError(response, 400, `Location ${location} is not served by this host.`, 'FAILED_PRECONDITION');
    return true;
  }
  if (apiPath !== '/chat/completions') {
    googleError(response, 404, 'Not found.', 'NOT_FOUND');
    return true;
  }
  const model = JSON.parse(bodyText || '{}').model;
  if (typeof model !== 'string' || !model.includes('/')) {
    googleError(response, 400, 'Unable to submit request because the model name is missing a publisher.', 'INVALID_ARGUMENT');
    return true;
  }
  return { apiPath };
}
