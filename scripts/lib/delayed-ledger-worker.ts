// `npm run bench:ledger` only, never deployed: Keygate's Worker with every call to a ledger Durable
// Object delayed by BENCH_LEDGER_DELAY_MS (half on the way there, half on the way back), as a
// ledger in another region would be, and counted. GET /__bench/ledger-calls answers the count.

import keygate from '../../src/index';

export { AuditChain, KeyLedger } from '../../src/index';

let ledgerCalls = 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The namespace, with each stub's RPC methods wrapped in the delay. */
function delayedLedgers(namespace: Env['KEY_LEDGER'], delayMs: number): Env['KEY_LEDGER'] {
  const stubOf = (stub: ReturnType<Env['KEY_LEDGER']['get']>) =>
    new Proxy(stub, {
      get(target, property) {
        const value = Reflect.get(target, property);
        if (typeof value !== 'function' || property === 'fetch') return value;
        return async (...args: unknown[]) => {
          ledgerCalls++;
          await sleep(delayMs / 2);
          // Called on the stub by name: an RPC method's own `apply` would be taken for a remote method.
          const result = await (target as unknown as Record<PropertyKey, (...values: unknown[]) => Promise<unknown>>)[property]!(...args);
          await sleep(delayMs / 2);
          return result;
        };
      },
    });
  return new Proxy(namespace, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (property === 'get') return (id: DurableObjectId) => stubOf(target.get(id));
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

export default {
  fetch(request, env, context) {
    if (new URL(request.url).pathname === '/__bench/ledger-calls') return Response.json({ calls: ledgerCalls });
    const delayMs = Number((env as unknown as Record<string, string>).BENCH_LEDGER_DELAY_MS ?? 0);
    return keygate.fetch(request, { ...env, KEY_LEDGER: delayedLedgers(env.KEY_LEDGER, delayMs) }, context);
  },
} satisfies ExportedHandler<Env>;
