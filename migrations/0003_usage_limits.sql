-- A virtual key's budget: JSON { credit_limit, type, alert_threshold?, periodic_reset?, periodic_reset_days?,
-- period_anchor } or NULL for none. What has been spent is counted in the key's ledger Durable Object.
ALTER TABLE virtual_keys ADD COLUMN usage_limits TEXT;
