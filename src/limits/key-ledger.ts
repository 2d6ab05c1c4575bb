// The ledger of one virtual key: a Durable Object, so every request for the key, from every edge
// location, is counted in one single-threaded, strongly consistent place. Admission and counting
// happen in one step; no limit lives in KV or isolate memory.
//
// Windows are fixed and UTC-aligned (minute, hour, day), so "10 rpm" means exactly 10 admitted
// requests per calendar minute. Callers pass `now`, which keeps the ledger testable on any clock.

import { DurableObject } from 'cloudflare:workers';
import { RATE_LIMIT_UNITS, windowOf, type RateLimitRule, type RateLimitUnit } from './rate-limit-rules';

type CounterKind = RateLimitRule['type'];
/** `${kind}:${unit}:${window start}` -> count. */
type Counters = Record<string, number>;

export type Admission =
  | { admitted: true }
  | { admitted: false; rule: RateLimitRule; used: number; retryAfterSeconds: number };

export interface WindowState {
  type: CounterKind;
  unit: RateLimitUnit;
  value: number;
  used: number;
  remaining: number;
  resets_at: string;
}

const UNITS = Object.keys(RATE_LIMIT_UNITS) as RateLimitUnit[];
const STORAGE_KEY = 'counters';

const counterKey = (kind: CounterKind, unit: RateLimitUnit, windowStart: number) => `${kind}:${unit}:${windowStart}`;

export class KeyLedger extends DurableObject<Env> {
  #counters: Counters = {};

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      this.#counters = (await ctx.storage.get<Counters>(STORAGE_KEY)) ?? {};
    });
  }

  /** Admits the request if every rule has room in its current window, and counts it if so. */
  async admit(rules: RateLimitRule[], now: number): Promise<Admission> {
    this.#dropOldWindows(now);
    for (const rule of rules) {
      const window = windowOf(rule.unit, now);
      const used = this.#counters[counterKey(rule.type, rule.unit, window.start)] ?? 0;
      if (used >= rule.value) {
        return { admitted: false, rule, used, retryAfterSeconds: Math.max(1, Math.ceil((window.end - now) / 1000)) };
      }
    }
    this.#add('requests', 1, now);
    await this.ctx.storage.put(STORAGE_KEY, this.#counters);
    return { admitted: true };
  }

  /** Counts the actual tokens of an admitted request, once its usage is known. */
  async recordTokens(tokens: number, now: number): Promise<void> {
    if (!Number.isFinite(tokens) || tokens <= 0) return;
    this.#dropOldWindows(now);
    this.#add('tokens', Math.round(tokens), now);
    await this.ctx.storage.put(STORAGE_KEY, this.#counters);
  }

  /** Each rule's current window, for retrieve. */
  async windows(rules: RateLimitRule[], now: number): Promise<WindowState[]> {
    return rules.map((rule) => {
      const window = windowOf(rule.unit, now);
      const used = this.#counters[counterKey(rule.type, rule.unit, window.start)] ?? 0;
      return { ...rule, used, remaining: Math.max(0, rule.value - used), resets_at: new Date(window.end).toISOString() };
    });
  }

  // Every unit is counted, whatever rules exist now, so a rule added mid-window starts from the truth.
  #add(kind: CounterKind, amount: number, now: number): void {
    for (const unit of UNITS) {
      const key = counterKey(kind, unit, windowOf(unit, now).start);
      this.#counters[key] = (this.#counters[key] ?? 0) + amount;
    }
  }

  #dropOldWindows(now: number): void {
    for (const key of Object.keys(this.#counters)) {
      const [, unit, start] = key.split(':') as [CounterKind, RateLimitUnit, string];
      if (Number(start) < windowOf(unit, now).start) delete this.#counters[key];
    }
  }
}
