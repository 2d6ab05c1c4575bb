// Recomputes an AWS SigV4 signature with AWS's own signer (@smithy/signature-v4), independently
// of the signer Keygate signs with (src/providers/bedrock/sigv4.ts), so the fake Bedrock and STS
// can refuse a bad signature exactly as AWS would.

import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

/** The checksum constructor the smithy signer takes: SHA-256, or HMAC-SHA256 when given a secret. */
class Sha256 {
  constructor(secret) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
  }
  update(data) {
    this.hash.update(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  }
  async digest() {
    return new Uint8Array(this.hash.digest());
  }
}

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/;

/**
 * Checks the request's SigV4 Authorization header. `secretFor(accessKeyId)` returns the secret the
 * fake knows for that key (or undefined). Returns null when the signature is valid, or the reason.
 */
export async function sigv4Problem({ method, url, headers, body }, { service, region, secretFor }) {
  const match = AUTHORIZATION.exec(headers.authorization ?? '');
  if (!match) return 'missing or malformed SigV4 Authorization header';
  const [, accessKeyId, , credentialRegion, credentialService, signedHeaders, signature] = match;
  if (credentialService !== service) return `signed for service ${credentialService}, not ${service}`;
  if (credentialRegion !== region) return `signed for region ${credentialRegion}, not ${region}`;
  const secretAccessKey = secretFor(accessKeyId);
  if (!secretAccessKey) return `unknown access key ${accessKeyId}`;
  const amzDate = headers['x-amz-date'];
  if (!amzDate) return 'missing x-amz-date';

  const parsed = new URL(url);
  const signed = Object.fromEntries(signedHeaders.split(';').map((name) => [name, headers[name] ?? '']));
  const query = Object.fromEntries(parsed.searchParams);
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey, sessionToken: headers['x-amz-security-token'] },
    region,
    service,
    sha256: Sha256,
    // Sign exactly the headers the request says it signed; add none of smithy's own.
    applyChecksum: false,
  });
  const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  const expected = await signer.sign(
    { method, protocol: parsed.protocol, hostname: parsed.hostname, port: Number(parsed.port) || undefined, path: parsed.pathname, query, headers: signed, body },
    { signingDate },
  );
  const expectedSignature = /Signature=([0-9a-f]{64})/.exec(expected.headers.authorization)?.[1];
  return expectedSignature === signature ? null : 'signature does not match';
}
