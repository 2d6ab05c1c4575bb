// A ledger's state in memory: what key-ledger.ts counts with, and how it is read back from its rows
// (ledger-rows.ts), or from the one value a ledger stored before issue 13.

import type { BudgetAlert, BudgetUnit, LedgerSettings } from './ledger-types';
import { ROW_KINDS, TrackedMap, type LedgerRows } from './ledger-rows';
import type { RateLimitUnit } from './rate-limit-rules';

/** `${kind}:${unit}:${window start}` -> count. */
type Counters = Map<string, number>;

export interface Reservation {
  /** The estimate held against the budget, in its unit. */
  amount: number;
  /** The budget's unit and period when it was made: it counts, and is charged, only in those. */
  unit?: BudgetUnit | null;
  period?: number;
  /** The estimated tokens counted against token limits, in the windows below. */
  tokens: number;
  windows: Record<RateLimitUnit, number>;
  at: number;
  /**
   * Set on a lease: how many of its calls have settled, and once it is given back, how many it
   * admitted. It holds what its calls still hold until every one of them has settled.
   */
  lease?: { settled: number; admitted?: number };
}

export interface BudgetState {
  unit: BudgetUnit | null;
  periodStart: number;
  /** In the budget's unit: tokens, or USD for a cost budget. */
  spent: number;
  /** The period whose alert threshold was crossed, so the alert fires once per period. */
  alertedPeriodStart?: number;
  alerts?: BudgetAlert[];
  /** The period whose budget was found spent, so its audit record is written once per period. */
  exhaustedPeriodStart?: number;
}

export interface LedgerState {
  settings?: LedgerSettings;
  counters: Counters;
  budget: BudgetState;
  reservations: TrackedMap<Reservation>;
  /** Reservations that outlived RESERVATION_LIFETIME_MS and were charged their estimate. */
  expired: TrackedMap<{ charged: number; at: number; unit?: BudgetUnit | null; period?: number }>;
  /**
   * The ids of settlements applied in the last minute, with when, so a resend counts once. In
   * memory only: a resend follows its lost reply within seconds, and writing every id would cost
   * every call a row.
   */
  applied: Map<string, number>;
  latestNow: number;
}

/** The state as one stored value, before issue 13. */
type LegacyState = Omit<LedgerState, 'counters' | 'reservations' | 'expired' | 'applied'> & Partial<Record<'counters' | 'reservations' | 'expired' | 'applied', Record<string, never>>>;

export function emptyState(latestNow: number): LedgerState {
  return {
    counters: new Map(),
    budget: { unit: null, periodStart: 0, spent: 0 },
    reservations: new TrackedMap(),
    expired: new TrackedMap(),
    applied: new Map(),
    latestNow,
  };
}

/**
 * The state the rows hold; or, for a ledger written before issue 13, the state of its one value,
 * with every entry marked changed so the first save writes it into rows (`legacy`).
 */
export async function loadLedgerState(rows: LedgerRows, storage: DurableObjectStorage): Promise<{ state: LedgerState; legacy: boolean }> {
  const { meta, rows: stored } = rows.load();
  const legacy = meta === undefined ? await storage.get<LegacyState>('ledger') : undefined;
  const { counters, ...rest } = (legacy ?? meta ?? {}) as Partial<Omit<LedgerState, 'counters'>> & { counters?: Record<string, number> };
  const state: LedgerState = { ...emptyState(0), ...rest, counters: new Map(Object.entries(counters ?? {})) };
  for (const kind of ROW_KINDS) {
    const entries = legacy ? Object.entries(legacy[kind] ?? {}) : stored[kind];
    const map = new TrackedMap<never>(entries as Array<[string, never]>);
    if (legacy) for (const key of map.keys()) map.changed.add(key);
    state[kind] = map;
  }
  return { state, legacy: legacy !== undefined };
}
