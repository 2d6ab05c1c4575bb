// Every KV key Keygate writes is built here, so the layout in docs/storage.md has one source.
// The version segment lets a later change of the cached shape start from an empty cache.

export const kvKeys = {
  virtualKeyBySlug: (slug: string) => `vk:v1:slug:${slug}`,
  /** By the SHA-256 hex of one credential: the key itself is never known to storage. */
  apiKeyByDigest: (digest: string) => `ak:v1:digest:${digest}`,
  workspaceById: (id: string) => `ws:v1:id:${id}`,
} as const;
