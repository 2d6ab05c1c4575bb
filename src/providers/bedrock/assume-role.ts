// Temporary credentials for a role, from STS AssumeRole (API version 2011-06-15), signed with
// Keygate's own base credentials (sigv4.ts).
//
// Credentials are cached per role (and external id and base key) until 5 minutes before they
// expire; concurrent first requests share one STS call. They live in isolate memory only.

import { KeygateError } from '../../errors';
import { logEvent, networkFailureFields } from '../../log';
import { sha256Hex } from '../../vault/crypto';
import { ExpiringCache } from '../expiring-cache';
import { signedAwsRequest, type AwsCredentials } from './sigv4';

export type { AwsCredentials } from './sigv4';

export interface RoleToAssume {
  stsEndpoint: string;
  region: string;
  base: AwsCredentials;
  roleArn: string;
  externalId?: string;
  /** Names Keygate and the virtual key in CloudTrail. */
  sessionName: string;
}

const STS_TIMEOUT_MS = 15_000;
const SESSION_SECONDS = 3600;

export class AssumedRoleCache {
  readonly #credentials: ExpiringCache<AwsCredentials>;

  constructor(now: () => number = Date.now) {
    this.#credentials = new ExpiringCache<AwsCredentials>(now);
  }

  async credentials(role: RoleToAssume): Promise<AwsCredentials> {
    const cacheKey = await sha256Hex(
      // The session name is in the key, so each virtual key's calls show as its own session in CloudTrail.
      JSON.stringify([role.stsEndpoint, role.region, role.roleArn, role.externalId ?? null, role.sessionName, role.base.accessKeyId, role.base.secretAccessKey]),
    );
    return this.#credentials.get(cacheKey, () => assumeRole(role));
  }
}

/** The cache the gateway uses: one per isolate. */
export const assumedRoles = new AssumedRoleCache();

async function assumeRole(role: RoleToAssume): Promise<{ value: AwsCredentials; expiresAt: number }> {
  const form = new URLSearchParams({
    Action: 'AssumeRole',
    Version: '2011-06-15',
    RoleArn: role.roleArn,
    RoleSessionName: role.sessionName,
    DurationSeconds: String(SESSION_SECONDS),
  });
  if (role.externalId) form.set('ExternalId', role.externalId);
  const request = await signedAwsRequest(
    role.stsEndpoint.replace(/\/*$/, '/'),
    { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', accept: 'application/xml' }, body: form.toString() },
    role.base,
    { service: 'sts', region: role.region },
  );
  let response: Response;
  try {
    response = await fetch(request, { signal: AbortSignal.timeout(STS_TIMEOUT_MS) });
  } catch (error) {
    // The operator's view (host, error class, DNS / TLS / refused …); no credential, signed or not.
    logEvent('error', 'aws_sts_unreachable', { role: role.roleArn, ...networkFailureFields(role.stsEndpoint, error) });
    const unreachable = new KeygateError('upstream_unreachable', 'aws_sts_unavailable', `AWS STS could not be reached to assume role ${role.roleArn}.`);
    throw Object.assign(unreachable, { cause: error });
  }
  const xml = await response.text().catch(() => '');
  if (!response.ok) {
    // STS's error code (e.g. AccessDenied) says what is wrong; the role is named, no credential is.
    const code = xmlValue(xml, 'Code');
    if (response.status >= 500 || response.status < 400) {
      throw new KeygateError('upstream_unreachable', 'aws_sts_unavailable', `AWS STS answered HTTP ${response.status} when assuming role ${role.roleArn}.`);
    }
    throw new KeygateError('forbidden', 'aws_assume_role_refused', `AWS STS refused to let Keygate assume role ${role.roleArn}${code ? ` (${code})` : ''}.`);
  }
  const accessKeyId = xmlValue(xml, 'AccessKeyId');
  const secretAccessKey = xmlValue(xml, 'SecretAccessKey');
  const sessionToken = xmlValue(xml, 'SessionToken');
  const expiresAt = Date.parse(xmlValue(xml, 'Expiration') ?? '');
  if (!accessKeyId || !secretAccessKey || !sessionToken || Number.isNaN(expiresAt)) {
    throw new KeygateError('upstream_invalid', 'aws_sts_invalid_response', `AWS STS answered AssumeRole for ${role.roleArn} without usable credentials.`);
  }
  return { value: { accessKeyId, secretAccessKey, sessionToken }, expiresAt };
}

/** The text of the first `<name>` element. STS answers are small, flat and well known. */
function xmlValue(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  return match?.[1]?.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}
