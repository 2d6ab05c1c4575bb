// Calls to Keygate's admin API as the signed-in key. The key lives in sessionStorage only: never
// localStorage, a cookie or a URL. It is gone when the tab closes or on "Sign out".

const STORAGE_KEY = 'keygate.apiKey';

export const session = {
  get key() {
    return sessionStorage.getItem(STORAGE_KEY);
  },
  signIn(key) {
    sessionStorage.setItem(STORAGE_KEY, key);
  },
  signOut() {
    sessionStorage.removeItem(STORAGE_KEY);
  },
};

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** The answer's JSON, or an ApiError carrying the server's own message. */
export async function api(method, path, body, key = session.key) {
  const headers = { 'x-portkey-api-key': key ?? '' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store' });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: the status says enough.
  }
  if (!response.ok) throw new ApiError(response.status, json?.error?.message ?? json?.message ?? `Keygate answered HTTP ${response.status}.`);
  return json;
}

export const query = (params) =>
  new URLSearchParams(Object.entries(params).filter(([, value]) => value !== undefined && value !== null && value !== '')).toString();

/** Every page of a list, up to `limit` items. */
export async function listAll(path, limit = 2000) {
  const items = [];
  for (let page = 0; items.length < limit; page++) {
    const separator = path.includes('?') ? '&' : '?';
    const answer = await api('GET', `${path}${separator}current_page=${page}&page_size=100`);
    items.push(...answer.data);
    if (answer.data.length < 100 || items.length >= answer.total) break;
  }
  return items;
}
