// OpenAI: the request is already in OpenAI's shape, so the gateway passes it through and only
// swaps the credential. `OPENAI_BASE_URL` lets an egress proxy or a test fake stand in.

import { z } from '@hono/zod-openapi';
import { expandTemplate, upstreamTemplate } from '../../config';
import { maskSecret, type ProviderModule } from '../provider';

const createFields = {
  key: z.string().trim().min(1, 'must not be empty').openapi({ description: 'The OpenAI API key.' }),
};

const updateFields = {
  key: z.string().trim().min(1, 'must not be empty').optional().openapi({
    description: 'A new OpenAI API key. Rotation: the slug stays and the next request uses it.',
  }),
};

function credentialsFor(apiKey: string) {
  return { secret: { apiKey }, config: {}, masked: { key: maskSecret(apiKey) } };
}

export const openaiProvider: ProviderModule<typeof createFields, typeof updateFields> = {
  id: 'openai',
  createFields,
  updateFields,
  credentialsFromCreate: (fields) => credentialsFor(fields.key),
  credentialsFromUpdate: (fields) => (fields.key === undefined ? null : credentialsFor(fields.key)),
  describeConfig: () => ({}),
  maskedApiKeyField: 'key',
  buildUpstreamRequest(call) {
    const base = expandTemplate(upstreamTemplate(call.env, 'OPENAI_BASE_URL')).replace(/\/+$/, '');
    const headers = new Headers(call.headers);
    headers.set('authorization', `Bearer ${call.secret.apiKey}`);
    return new Request(`${base}${call.path}${call.search}`, {
      method: call.method,
      headers,
      body: call.body,
      redirect: 'manual',
    });
  },
};
