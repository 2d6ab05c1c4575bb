// The one way Keygate writes a log line: one JSON object per event, with a level, a stable code
// and a few named fields. Warnings go out at warn level (wrangler and Cloudflare's logs then show
// them as warnings, not errors).
//
// Never pass a secret, a request body or a header value here. Error messages are bounded: an
// exception's message can quote its input, and a log line must not carry megabytes of it.

export type LogLevel = 'error' | 'warn' | 'info';

const MAX_MESSAGE_LENGTH = 200;

export function logEvent(level: LogLevel, code: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, code, ...fields });
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.info(line);
}

/** What an operator needs from a caught error: its class and a bounded message. */
export function failureFields(error: unknown): { errorClass: string; message: string } {
  if (!(error instanceof Error)) return { errorClass: typeof error, message: '' };
  const message = error.message.length > MAX_MESSAGE_LENGTH ? `${error.message.slice(0, MAX_MESSAGE_LENGTH)}…` : error.message;
  return { errorClass: error.name, message };
}

/** How a network call failed, as far as its error tells: what an operator checks first. */
export type NetworkFailureKind = 'dns' | 'tls' | 'refused' | 'reset' | 'timeout' | 'other';

const NETWORK_FAILURE_PATTERNS: Array<[NetworkFailureKind, RegExp]> = [
  ['dns', /dns|getaddrinfo|ENOTFOUND|name (not )?resolv|no such host/i],
  ['tls', /tls|ssl|certificate|handshake/i],
  ['refused', /refused|ECONNREFUSED/i],
  ['reset', /reset|connection lost|disconnected|ECONNRESET|EPIPE/i],
  ['timeout', /timed? ?out|abort/i],
];

export function networkFailureKind(error: unknown): NetworkFailureKind {
  const text = error instanceof Error ? `${error.name} ${error.message}` : String(error);
  return NETWORK_FAILURE_PATTERNS.find(([, pattern]) => pattern.test(text))?.[0] ?? 'other';
}

/** The fields of a failed call to `url`: its host (never its path or query), the error's class and kind. */
export function networkFailureFields(url: string, error: unknown): Record<string, string> {
  let host = '';
  try {
    host = new URL(url).host;
  } catch {
    host = 'unparseable';
  }
  return { host, kind: networkFailureKind(error), ...failureFields(error) };
}
