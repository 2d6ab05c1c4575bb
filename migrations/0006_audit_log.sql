-- The tamper-evident audit log (src/audit/). Every admin change writes its record in the same
-- D1 transaction as the change; the organisation's AuditChain Durable Object then seals records
-- into one hash chain, in the order they were committed (`entry`).
CREATE TABLE audit_log (
  -- Commit order, and the chain's order. AUTOINCREMENT: a number is never reused, even after the
  -- newest rows are deleted, so a deleted tail can't be refilled unnoticed.
  entry INTEGER PRIMARY KEY AUTOINCREMENT,
  -- A random id, covered by the MAC: a copy of a record can't be inserted beside it.
  id TEXT NOT NULL UNIQUE,
  timestamp TEXT NOT NULL,
  method TEXT NOT NULL,
  uri TEXT NOT NULL,
  request_id TEXT NOT NULL,
  -- JSON strings; secret fields are masked before they get here (src/audit/masking.ts).
  request_body TEXT NOT NULL,
  query_params TEXT NOT NULL,
  user_id TEXT,
  user_type TEXT NOT NULL,
  api_key_id TEXT,
  organisation_id TEXT NOT NULL,
  workspace_id TEXT,
  response_status_code INTEGER NOT NULL,
  resource_type TEXT NOT NULL,
  action TEXT NOT NULL,
  resource_id TEXT,
  client_ip TEXT,
  country TEXT,
  -- Refused sign-ins folded into this record (one source, one minute); 1 otherwise.
  count INTEGER NOT NULL DEFAULT 1,
  -- The master key id whose derived chain key MACs this record.
  key_id TEXT NOT NULL,
  -- NULL until the chain writer seals the record; then the previous record's hash (64 zeros first).
  prev_hash TEXT,
  -- Before sealing: the record's own MAC, so the writer seals only what Keygate wrote. After:
  -- HMAC-SHA-256(chain key, prev_hash || canonical record).
  hash TEXT NOT NULL
);
CREATE INDEX audit_log_timestamp ON audit_log (timestamp);
CREATE INDEX audit_log_pending ON audit_log (entry) WHERE prev_hash IS NULL;

-- One row per master key that has sealed audit records. A key still in VAULT_KEYS derives its
-- chain key; a re-seal stores the derived key sealed under the current master key (`envelope`),
-- so records stay verifiable after their master key leaves the ring.
CREATE TABLE audit_chain_keys (
  key_id TEXT PRIMARY KEY,
  -- The master key that can produce it: key_id itself (derived, envelope NULL), or the key whose
  -- envelope holds it.
  sealed_by TEXT NOT NULL,
  envelope TEXT
);
