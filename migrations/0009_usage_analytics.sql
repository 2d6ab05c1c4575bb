-- The analytics API (issue 15) reads usage_events. Each row now names the API key that made the
-- call (NULL for the bootstrap ADMIN_API_KEY, and for rows written before this migration), and
-- the indexes serve its queries: a time range for the whole organisation, and one API key's or
-- one virtual key's calls (the filters name keys by slug). A workspace's range has its index from 0004.
ALTER TABLE usage_events ADD COLUMN api_key_id TEXT;
CREATE INDEX usage_events_by_time ON usage_events (created_at);
CREATE INDEX usage_events_by_api_key ON usage_events (api_key_id, created_at);
CREATE INDEX usage_events_by_key_slug ON usage_events (virtual_key_slug, created_at);
