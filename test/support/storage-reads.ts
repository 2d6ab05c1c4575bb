// Counts what reaches storage: the real local D1 and KV bindings, wrapped so every query and every
// KV read is noted before it runs. Pass `bindings` as the env override of callKeygate (or as the
// env of a function under test); nothing is faked, the calls go on to the real bindings.

import { env } from 'cloudflare:workers';

export interface StorageReads {
  bindings: { DB: D1Database; KEY_CACHE: KVNamespace };
  /** The SQL of every statement prepared, in order. */
  queries: string[];
  /** The key of every KV get. */
  kvGets: string[];
  /** Queries whose SQL mentions `table`. */
  queriesOf(table: string): number;
}

export function countingStorage(): StorageReads {
  const queries: string[] = [];
  const kvGets: string[] = [];
  const DB = new Proxy(env.DB, {
    get(target, property) {
      if (property === 'prepare') {
        return (sql: string) => {
          queries.push(sql);
          return target.prepare(sql);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const KEY_CACHE = new Proxy(env.KEY_CACHE, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (property === 'get' || property === 'getWithMetadata') {
        return (key: string, ...rest: unknown[]) => {
          kvGets.push(key);
          return (value as (...args: unknown[]) => unknown).call(target, key, ...rest);
        };
      }
      return value.bind(target);
    },
  });
  return {
    bindings: { DB, KEY_CACHE },
    queries,
    kvGets,
    queriesOf: (table) => queries.filter((sql) => new RegExp(`\\b${table}\\b`).test(sql)).length,
  };
}
