-- Model allow-lists (issue 13): which models a virtual key, or an API key, may call. A JSON list
-- of model names and `prefix*` patterns; empty means every model.
ALTER TABLE virtual_keys ADD COLUMN allowed_models TEXT NOT NULL DEFAULT '[]';
ALTER TABLE api_keys ADD COLUMN allowed_models TEXT NOT NULL DEFAULT '[]';
