// AWS Signature Version 4, for the requests the Bedrock provider sends (Bedrock runtime and STS):
// the canonical request, the string to sign and the derived signing key, as AWS documents them
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html).
//
// Written here rather than taken from aws4fetch: that library is about 2.5 KiB of the 60 KiB
// gzipped bundle for a fetch wrapper, retries and presigned URLs Keygate never uses. The fake
// Bedrock and STS check every signature the tests send with AWS's own signer
// (scripts/lib/sigv4-check.mjs, @smithy/signature-v4), model ids and ARNs included.

import { hexEncode } from '../../vault/encoding';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

const encoder = new TextEncoder();

const sha256Hex = async (text: string) => hexEncode(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text))));

async function hmac(key: Uint8Array, text: string): Promise<Uint8Array> {
  const imported = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', imported, encoder.encode(text)));
}

/** RFC 3986: unreserved characters as they are, everything else %XX (encodeURIComponent spares !'()*). */
const uriEncode = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * `url` and `init` as a signed Request: `x-amz-date`, the session token when there is one, and
 * the Authorization header over every header given, `host` included. No redirects: a redirect
 * would carry the signed headers to another host.
 */
export async function signedAwsRequest(
  url: string,
  init: { method: string; headers: Record<string, string>; body: string },
  credentials: AwsCredentials,
  scope: { service: string; region: string },
): Promise<Request> {
  const target = new URL(url);
  const amzDate = new Date().toISOString().replace(/[-:]|\.\d+/g, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = { 'x-amz-date': amzDate };
  for (const [name, value] of Object.entries(init.headers)) headers[name.toLowerCase()] = value;
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const names = [...Object.keys(headers), 'host'].sort();
  const value = (name: string) => (name === 'host' ? target.host : headers[name]!.trim().replace(/\s+/g, ' '));
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    init.method,
    // Every service but S3 encodes the path once more: `%3A` in a model id signs as `%253A`.
    target.pathname.split('/').map(uriEncode).join('/'),
    [...target.searchParams].map(([key, text]) => `${uriEncode(key)}=${uriEncode(text)}`).sort().join('&'),
    names.map((name) => `${name}:${value(name)}\n`).join(''),
    signedHeaders,
    await sha256Hex(init.body),
  ].join('\n');
  const credentialScope = `${day}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, credentialScope, await sha256Hex(canonicalRequest)].join('\n');
  let key = encoder.encode(`AWS4${credentials.secretAccessKey}`);
  for (const part of [day, scope.region, scope.service, 'aws4_request']) key = await hmac(key, part);
  const signature = hexEncode(await hmac(key, stringToSign));
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${credentialScope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return new Request(url, { method: init.method, headers, body: init.body || null, redirect: 'manual' });
}
