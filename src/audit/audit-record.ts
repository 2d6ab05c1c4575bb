// One audit record: Portkey's field names, plus what the chain needs. The canonical bytes of a
// record are what its MAC covers: every stored field but `entry`, `prev_hash` and `hash`, in a
// fixed order, as a JSON array (so no field's text can run into the next one's).

export const RESOURCE_TYPES = ['virtual_key', 'api_key', 'workspace', 'vault', 'auth', 'budget'] as const;
export const ACTIONS = ['create', 'update', 'delete', 'rotate', 'reseal', 'refused', 'exhausted', 'alert'] as const;
/** `system` is Keygate itself: the Cron re-seal, budget events and the chain writer. */
export const USER_TYPES = ['api_key', 'user', 'system'] as const;

export type ResourceType = (typeof RESOURCE_TYPES)[number];
export type AuditAction = (typeof ACTIONS)[number];
export type UserType = (typeof USER_TYPES)[number];

/** The fields the MAC covers, in canonical order. */
export const SEALED_FIELDS = [
  'id',
  'timestamp',
  'method',
  'uri',
  'request_id',
  'request_body',
  'query_params',
  'user_id',
  'user_type',
  'api_key_id',
  'organisation_id',
  'workspace_id',
  'response_status_code',
  'resource_type',
  'action',
  'resource_id',
  'client_ip',
  'country',
  'count',
  'key_id',
] as const;

export interface AuditRecord {
  /** Random and unique: a copy of a record can't sit beside it. */
  id: string;
  timestamp: string;
  method: string;
  uri: string;
  request_id: string;
  /** JSON text, secrets masked. */
  request_body: string;
  /** JSON text. */
  query_params: string;
  user_id: string | null;
  user_type: UserType;
  api_key_id: string | null;
  organisation_id: string;
  workspace_id: string | null;
  response_status_code: number;
  resource_type: ResourceType;
  action: AuditAction;
  resource_id: string | null;
  client_ip: string | null;
  country: string | null;
  count: number;
  /** The master key id whose derived chain key seals this record. */
  key_id: string;
}

/** A stored record: the chain's position and links beside the sealed fields. */
export interface StoredAuditRecord extends AuditRecord {
  entry: number;
  /** Null until the chain writer seals the record. */
  prev_hash: string | null;
  hash: string;
}

/** The chain's first link. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Text as D1 stores it: a lone UTF-16 surrogate (half an emoji cut off by a bound, say) becomes
 * U+FFFD, as it would on the way into D1, so the MAC is computed over what reads back.
 */
export function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

export function canonicalRecord(record: AuditRecord): string {
  return JSON.stringify(SEALED_FIELDS.map((field) => record[field]));
}
