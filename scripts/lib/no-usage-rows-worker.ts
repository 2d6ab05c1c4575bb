// `npm run ab -- --targets=…,no-usage-rows` only, never deployed: Keygate's Worker with its usage
// rows built and batched as always but never run against D1. Locally D1's SQLite runs inside
// workerd, on the gateway's CPU; in production it runs elsewhere and is not the Worker's. Run
// beside `keygate`, this target shows what the local write costs the benchmark.

import keygate from '../../src/index';

export { AuditChain, KeyLedger } from '../../src/index';

const USAGE_ROWS_INSERT = /^\s*INSERT INTO usage_events\b/;

/** A statement that is prepared and bound as usual, then answers as if D1 had run it. */
const notRun = {
  bind: () => notRun,
  run: async () => ({ success: true, meta: {}, results: [] }),
};

function withoutUsageRows(db: D1Database): D1Database {
  return new Proxy(db, {
    get(target, property) {
      if (property === 'prepare') return (sql: string) => (USAGE_ROWS_INSERT.test(sql) ? notRun : target.prepare(sql));
      if (property === 'batch') {
        return (statements: unknown[]) =>
          statements.every((statement) => statement === notRun) ? Promise.all(statements.map(() => notRun.run())) : target.batch(statements as D1PreparedStatement[]);
      }
      const value = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

// Built once per env, so Keygate's per-isolate caches see the same env object on every request.
let wrapped: { from: Env; env: Env } | null = null;

export default {
  fetch(request, env, context) {
    if (wrapped?.from !== env) wrapped = { from: env, env: { ...env, DB: withoutUsageRows(env.DB) } };
    return keygate.fetch(request, wrapped.env, context);
  },
} satisfies ExportedHandler<Env>;
