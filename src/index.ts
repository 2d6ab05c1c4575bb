// The Worker entry. Durable Object classes are exported from here as they arrive.

import { createApp } from './app';

export { KeyLedger } from './limits/key-ledger';

const app = createApp();

export default {
  fetch: (request, env, context) => app.fetch(request, env, context),
} satisfies ExportedHandler<Env>;
