// What Workers and a key's ledger (key-ledger.ts) send each other. Kept apart from the Durable
// Object so the Worker side can import the shapes without the class.

import type { RateLimitRule, RateLimitUnit } from './rate-limit-rules';
import type { BudgetPeriod, StoredUsageLimits } from './usage-limits';

export type CounterKind = RateLimitRule['type'];
export type BudgetUnit = 'tokens' | 'cost';

/**
 * A key's limits as of a revision of its record. The admin API pushes them here on every change, so
 * a Worker still holding an older copy of the record (KV is eventually consistent) is corrected
 * by the ledger at once: raised, lowered or removed limits apply everywhere immediately.
 */
export interface LedgerSettings {
  revision: number;
  rateLimits: RateLimitRule[];
  usageLimits: StoredUsageLimits | null;
}

export interface BudgetAlert {
  at: string;
  threshold: number;
  spent: number;
  period_start: string;
}

export interface BudgetRequest {
  limit: number;
  unit: BudgetUnit;
  period: BudgetPeriod;
  /** In the budget's unit. */
  estimate: number;
}

export interface AdmissionRequest {
  /** The revision of the record the caller read its limits from. */
  revision?: number;
  rateLimits: RateLimitRule[];
  budget?: BudgetRequest;
  /** Tokens the call will probably use, held against token limits until it settles. */
  estimatedTokens?: number;
  /** Asks for an admission lease besides the admission (admission-leases.ts). */
  lease?: boolean;
}

/**
 * A block of admissions granted to one isolate, counted in full against every limit when granted:
 * `requests` requests, and where the ledger limits them, `tokens` (estimated) tokens and `amount`
 * of the budget. Usable until `expiresAt` (the ledger's clock).
 */
export interface LeaseGrant {
  id: string;
  requests: number;
  tokens?: number;
  amount?: number;
  expiresAt: number;
}

export type Admission =
  | { admitted: true; reservationId: string | null; at?: number; lease?: LeaseGrant }
  | { admitted: false; reason: 'rate_limit'; rule: RateLimitRule; used: number; retryAfterSeconds: number }
  | { admitted: false; reason: 'budget'; limit: number; spent: number; resetsAt: number | null; firstExhausted?: true };

export interface Settlement {
  /** Unique per settlement: the ledger applies one id once, however often it is sent. */
  id?: string;
  revision?: number;
  reservationId: string | null;
  tokens: number;
  /** In the budget's unit. */
  amount: number;
  budget?: { unit: BudgetUnit; period: BudgetPeriod; alertThreshold?: number };
  /**
   * Set when the call was refused at another level: the admission made at this time (the
   * ledger's) is taken back, its request and its reservation (or its share of `lease`), and
   * nothing is charged.
   */
  release?: number;
  /** A call admitted from a lease, and the estimates it took from it. */
  lease?: { id: string; tokens: number; amount: number };
  /**
   * A lease given back (`lease` names it): how many calls it admitted, and what it did not use.
   * It also settles `settled` of its calls at once: their summed estimates in `lease`, their
   * summed usage in `tokens` and `amount`.
   */
  leaseReturn?: { admitted: number; settled: number; requests: number; tokens: number; amount: number };
}

/** A settlement a Worker held back to send with the key's next ledger call, with its own time. */
export interface PendingSettlement {
  settlement: Settlement;
  now: number;
}

export interface WindowState {
  type: CounterKind;
  unit: RateLimitUnit;
  value: number;
  used: number;
  remaining: number;
  resets_at: string;
}
