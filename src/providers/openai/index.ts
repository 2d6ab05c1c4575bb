// OpenAI: the request is already in OpenAI's shape, so the gateway passes it through and only
// swaps the credential. `OPENAI_BASE_URL` lets an egress proxy or a test fake stand in.

import * as z from 'zod/mini';
import { expandTemplate, upstreamTemplate } from '../../config';
import { maskSecret, type ProviderModule } from '../provider';
import { askingForStreamUsage, STREAMED_USAGE_PATHS } from '../stream-usage-request';

// The key travels in an HTTP header, so only printable ASCII without spaces can work there. A key
// with anything else would fail every call later (or make the runtime log the header), so it is
// refused when it is stored.
const apiKey = z
  .string()
  .check(
    z.trim(),
    z.minLength(1, 'must not be empty'),
    z.maxLength(4096, 'is longer than 4096 characters'),
    z.regex(/^[\x21-\x7e]+$/, 'may contain only printable ASCII characters without spaces'),
  );

const createFields = {
  key: apiKey,
};

const updateFields = {
  key: z.optional(apiKey),
};

// An OpenAI key has no settings besides its secret.
const configSchema = z.object({});

function credentialsFor(apiKey: string) {
  return { secret: { apiKey }, config: {}, masked: { key: maskSecret(apiKey) } };
}

export const openaiProvider: ProviderModule<z.infer<typeof configSchema>, typeof createFields, typeof updateFields> = {
  id: 'openai',
  configSchema,
  createFields,
  updateFields,
  secretFields: ['key'],
  credentialsFromCreate: (fields) => credentialsFor(fields.key),
  applyUpdate: (fields, current) => (fields.key === undefined ? { config: current.config } : credentialsFor(fields.key)),
  describeConfig: () => ({}),
  maskedApiKey: (masked) => masked.key ?? null,
  pricedModel: (model) => model,
  async prepareUpstream(call) {
    const base = expandTemplate(upstreamTemplate(call.env, 'OPENAI_BASE_URL')).replace(/\/+$/, '');
    const { headers } = call;
    headers.set('authorization', `Bearer ${call.secret.apiKey}`);
    // Streams carry usage only when asked; ask when metering, and keep the extra chunk from the client.
    const { body, added } = call.onUsage && STREAMED_USAGE_PATHS.has(call.path) ? askingForStreamUsage(call) : { body: call.body, added: false };
    return { request: { url: `${base}${call.path}${call.search}`, method: call.method, headers, body }, addedStreamUsage: added };
  },
};
