// Content-type checks shared by the gateway's request and response handling.

const JSON_MEDIA_TYPE = /^application\/([a-z0-9.+-]+\+)?json\b/i;

/** `application/json`, `application/problem+json` and the like, with or without parameters. */
export function isJsonContentType(contentType: string | null | undefined): boolean {
  return typeof contentType === 'string' && JSON_MEDIA_TYPE.test(contentType.trim());
}
