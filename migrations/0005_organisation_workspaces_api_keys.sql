-- Workspaces get Portkey's fields, the deployment gets its organisation, and API keys arrive.
-- Nothing already stored moves: the default workspace keeps its id `ws_default`.

-- One organisation per deployment. Its id is a random UUID (v4 form), as Portkey's API types it,
-- made once when this migration runs.
CREATE TABLE organisation (
  id TEXT PRIMARY KEY,
  created_at TEXT NOT NULL
);
INSERT INTO organisation (id, created_at)
SELECT lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-'
    || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))),
  strftime('%Y-%m-%dT%H:%M:%fZ', 'now');

ALTER TABLE workspaces ADD COLUMN description TEXT;
-- JSON `{ metadata?: { <string>: <string> } }`.
ALTER TABLE workspaces ADD COLUMN defaults TEXT NOT NULL DEFAULT '{}';
ALTER TABLE workspaces ADD COLUMN last_updated_at TEXT;
-- Bumped by every update; an update names the revision it read, so racing ones can't undo each other.
ALTER TABLE workspaces ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
UPDATE workspaces SET last_updated_at = created_at WHERE last_updated_at IS NULL;

-- API keys: who may call the admin API and the gateway, and with which scopes. A key's secret is
-- never stored: only the SHA-256 digest of each of its credentials (api_key_credentials), and a
-- mask of at most its last 4 characters here.
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  organisation_id TEXT NOT NULL,
  -- NULL for organisation keys, which act in every workspace.
  workspace_id TEXT REFERENCES workspaces (id),
  type TEXT NOT NULL CHECK (type IN ('organisation-service', 'workspace-service', 'workspace-user')),
  user_id TEXT,
  name TEXT NOT NULL,
  description TEXT,
  scopes TEXT NOT NULL,
  defaults TEXT NOT NULL DEFAULT '{}',
  masked_key TEXT NOT NULL,
  expires_at TEXT,
  last_used_at TEXT,
  revision INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  last_updated_at TEXT NOT NULL,
  CHECK ((type = 'organisation-service') = (workspace_id IS NULL)),
  CHECK ((type = 'workspace-user') = (user_id IS NOT NULL))
);
CREATE INDEX api_keys_by_workspace ON api_keys (workspace_id, created_at DESC, id);

-- The secrets that open an API key: its current one and, after a rotation, the old one until its
-- transition ends (expires_at). Looked up by digest; a key may have several during overlapping
-- rotations.
CREATE TABLE api_key_credentials (
  digest TEXT PRIMARY KEY,
  api_key_id TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
  expires_at TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX api_key_credentials_by_key ON api_key_credentials (api_key_id);
