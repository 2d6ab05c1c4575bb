-- Every record belongs to a workspace. Until workspaces get their own API, everything lives in
-- the default workspace created here.
CREATE TABLE workspaces (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL
);

INSERT INTO workspaces (id, name, created_at) VALUES ('ws_default', 'Default', '2026-11-23T00:00:00.000Z');

-- The system of record for virtual keys. `secret_envelope` is the only column that holds
-- anything derived from a provider secret, and it holds only AES-256-GCM ciphertext bound to
-- (workspace_id, id, slug). `masked_secrets` holds at most the last 4 characters of each secret.
CREATE TABLE virtual_keys (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces (id),
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  note TEXT,
  provider TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
  provider_config TEXT NOT NULL DEFAULT '{}',
  secret_envelope TEXT NOT NULL,
  secret_key_id TEXT NOT NULL,
  masked_secrets TEXT NOT NULL DEFAULT '{}',
  expires_at TEXT,
  -- Bumped by every update; updates name the revision they read, so concurrent ones can't undo each other.
  revision INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE INDEX virtual_keys_by_workspace ON virtual_keys (workspace_id, created_at DESC, id);
