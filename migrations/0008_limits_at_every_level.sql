-- Limits at every level (issue 13). Workspaces and API keys take a virtual key's rate_limits and
-- usage_limits, and keys take model_limits (per-model rules). One JSON column each on workspaces and
-- api_keys: {"rateLimits": [...], "usageLimits": {...} | null, "modelLimits": [...]}. What is spent
-- is counted in each level's ledger Durable Object, never here.
ALTER TABLE workspaces ADD COLUMN limits TEXT NOT NULL DEFAULT '{}';
ALTER TABLE api_keys ADD COLUMN limits TEXT NOT NULL DEFAULT '{}';
ALTER TABLE virtual_keys ADD COLUMN model_limits TEXT NOT NULL DEFAULT '[]';
