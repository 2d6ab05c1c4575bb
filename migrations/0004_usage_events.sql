-- One row per gateway request: what it used and cost. Written after the response (waitUntil), never
-- on the request's path. This is what usage analytics will read.
CREATE TABLE usage_events (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  virtual_key_id TEXT NOT NULL,
  virtual_key_slug TEXT NOT NULL,
  provider TEXT NOT NULL,
  model TEXT,
  prompt_tokens INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  total_tokens INTEGER NOT NULL,
  -- USD, or NULL when Keygate knows no price for the model.
  cost_usd REAL,
  status INTEGER NOT NULL,
  latency_ms INTEGER NOT NULL,
  -- 1 when the upstream reported no usage and the request's estimate was recorded instead.
  estimated INTEGER NOT NULL CHECK (estimated IN (0, 1)),
  created_at TEXT NOT NULL
);

CREATE INDEX usage_events_by_workspace ON usage_events (workspace_id, created_at);
CREATE INDEX usage_events_by_key ON usage_events (virtual_key_id, created_at);
