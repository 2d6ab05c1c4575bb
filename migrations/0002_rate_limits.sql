-- Rate limits of a virtual key: a JSON list of { type: "requests" | "tokens", unit: "rpm" | "rph" | "rpd", value }.
-- The counting itself lives in the key's ledger Durable Object, never here.
ALTER TABLE virtual_keys ADD COLUMN rate_limits TEXT NOT NULL DEFAULT '[]';
