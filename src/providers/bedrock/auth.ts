// The three ways a Bedrock virtual key authenticates, and what each stores:
// - `accessKey` (the default): an IAM access key, secret and optional session token, all sealed;
//   requests are signed with SigV4.
// - `assumedRole`: a role ARN (and optional external id). Keygate assumes the role through STS
//   with its own base credentials (Worker secrets) and signs with the temporary credentials.
// - `apiKey`: a Bedrock API key, sealed, sent as `Authorization: Bearer` with no SigV4.

import { awsBaseCredentials, expandTemplate, upstreamTemplate } from '../../config';
import { invalidRequest, KeygateError } from '../../errors';
import type { ProviderSecret } from '../../vault/virtual-key-secret';
import { refuseOtherModesFields, requiredField, type ModeFields } from '../auth-modes';
import { maskSecret } from '../provider';
import { assumedRoles, type AwsCredentials } from './assume-role';

export type AwsAuthType = 'accessKey' | 'assumedRole' | 'apiKey';

export interface AuthFields {
  aws_auth_type?: AwsAuthType | undefined;
  aws_access_key_id?: string | undefined;
  aws_secret_access_key?: string | undefined;
  aws_session_token?: string | undefined;
  aws_role_arn?: string | undefined;
  aws_external_id?: string | undefined;
  key?: string | undefined;
}

export interface AuthConfig {
  auth_type: AwsAuthType;
  role_arn?: string;
  external_id?: string;
}

export interface AuthSettings {
  config: AuthConfig;
  secret?: ProviderSecret;
  masked?: Record<string, string>;
}

const FIELDS_BY_TYPE: ModeFields<AwsAuthType, keyof AuthFields> = {
  accessKey: ['aws_access_key_id', 'aws_secret_access_key', 'aws_session_token'],
  assumedRole: ['aws_role_arn', 'aws_external_id'],
  apiKey: ['key'],
};

const BASE_CREDENTIALS_MISSING =
  'aws_auth_type assumedRole needs Keygate’s own AWS credentials to call STS: set the Worker secrets AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY';

/** The auth settings after a create (`current` null) or an update; a type switch needs every field. */
export function authSettings(given: AuthFields, current: AuthConfig | null, env: Env): AuthSettings {
  const type = given.aws_auth_type ?? current?.auth_type ?? 'accessKey';
  // Portkey's own create example sends `key` beside the access key pair. The pair is what signs, so
  // there `key` is dropped unstored; without the pair, `key` still names apiKey auth and is refused.
  const fields = type === 'accessKey' && given.aws_access_key_id && given.aws_secret_access_key ? { ...given, key: undefined } : given;
  const setting = { setting: 'aws_auth_type', value: type };
  const required = (field: keyof AuthFields) => requiredField(fields, field, setting);
  refuseOtherModesFields(fields, FIELDS_BY_TYPE, setting);
  const sameType = current?.auth_type === type;

  if (type === 'apiKey') {
    if (sameType && fields.key === undefined) return { config: { auth_type: type } };
    const key = required('key');
    return { config: { auth_type: type }, secret: { apiKey: key }, masked: { key: maskSecret(key) } };
  }
  if (type === 'assumedRole') {
    // Checked when a key enters the mode, so a key already in it stays updatable (name, status …).
    if (!sameType && !awsBaseCredentials(env)) throw invalidRequest('aws_base_credentials_not_configured', BASE_CREDENTIALS_MISSING, 'aws_auth_type');
    const roleArn = sameType ? (fields.aws_role_arn ?? current?.role_arn ?? '') : required('aws_role_arn');
    const externalId = fields.aws_external_id ?? (sameType ? current?.external_id : undefined);
    const config: AuthConfig = { auth_type: type, role_arn: roleArn, ...(externalId ? { external_id: externalId } : {}) };
    return sameType ? { config } : { config, secret: {}, masked: {} };
  }
  const rotating = fields.aws_access_key_id !== undefined || fields.aws_secret_access_key !== undefined || fields.aws_session_token !== undefined;
  if (sameType && !rotating) return { config: { auth_type: type } };
  // Rotation replaces the whole credential: an id without its secret would never sign correctly.
  const secret: ProviderSecret = { accessKeyId: required('aws_access_key_id'), secretAccessKey: required('aws_secret_access_key') };
  const masked: Record<string, string> = { aws_access_key_id: maskSecret(secret.accessKeyId!), aws_secret_access_key: maskSecret(secret.secretAccessKey!) };
  if (fields.aws_session_token) {
    secret.sessionToken = fields.aws_session_token;
    masked.aws_session_token = maskSecret(fields.aws_session_token);
  }
  return { config: { auth_type: type }, secret, masked };
}

export type RequestAuth = { kind: 'sigv4'; credentials: AwsCredentials } | { kind: 'bearer'; token: string };

/** How to authenticate one call: the stored key, or temporary credentials for the role. */
export async function requestAuth(env: Env, config: AuthConfig, secret: ProviderSecret, region: string, slug: string): Promise<RequestAuth> {
  if (config.auth_type === 'apiKey') return { kind: 'bearer', token: secret.apiKey ?? '' };
  if (config.auth_type === 'accessKey') {
    const { accessKeyId = '', secretAccessKey = '', sessionToken } = secret;
    return { kind: 'sigv4', credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } };
  }
  const base = awsBaseCredentials(env);
  if (!base) throw new KeygateError('internal', 'aws_base_credentials_not_configured', `Virtual key ${slug}: ${BASE_CREDENTIALS_MISSING}.`);
  const credentials = await assumedRoles.credentials({
    stsEndpoint: expandTemplate(upstreamTemplate(env, 'AWS_STS_ENDPOINT'), { region }),
    region,
    base,
    roleArn: config.role_arn ?? '',
    ...(config.external_id ? { externalId: config.external_id } : {}),
    sessionName: `keygate-${slug}`.slice(0, 64),
  });
  return { kind: 'sigv4', credentials };
}
