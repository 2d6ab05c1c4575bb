// Worker secrets that only some deployments set. `wrangler types` cannot know them (they are
// not in .dev.vars.example), so they are declared here, as optional.
interface Env {
  /** The gateway's own Entra identity, for Azure keys in `managed` mode. */
  AZURE_IDENTITY_TENANT_ID?: string;
  AZURE_IDENTITY_CLIENT_ID?: string;
  AZURE_IDENTITY_CLIENT_SECRET?: string;
  /** Keygate's own AWS credentials, for Bedrock keys that assume a role. */
  AWS_ACCESS_KEY_ID?: string;
  AWS_SECRET_ACCESS_KEY?: string;
  /** Where budget alerts are POSTed as JSON, when set. */
  ALERT_WEBHOOK_URL?: string;
  /** Signs each budget alert (the Keygate-Signature header), when set. */
  ALERT_WEBHOOK_SECRET?: string;
  /**
   * Master-key rotation: comma-separated standard base64 32-byte keys. The first seals, all open.
   * When set, VAULT_KEY is not read (src/vault/master-key.ts).
   */
  VAULT_KEYS?: string;
}
