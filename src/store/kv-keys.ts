// Every KV key Keygate writes is built here, so the layout in docs/storage.md has one source.
// The version segment lets a later change of the cached shape start from an empty cache.

export const kvKeys = {
  virtualKeyBySlug: (slug: string) => `vk:v1:slug:${slug}`,
} as const;
