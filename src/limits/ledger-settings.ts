// A caller's request or settlement under the limits the ledger holds, when those are newer than the
// record the caller read: the ledger corrects Workers that still hold an older record at once.

import type { AdmissionRequest, LedgerSettings, Settlement } from './ledger-types';
import { budgetPeriod } from './usage-limits';

function newer(settings: LedgerSettings | undefined, revision: number | undefined): LedgerSettings | null {
  return settings && revision !== undefined && settings.revision > revision ? settings : null;
}

/** The newer of the caller's limits and those pushed to the ledger, as an admission request. */
export function currentRequest(held: LedgerSettings | undefined, request: AdmissionRequest, now: number): AdmissionRequest {
  const settings = newer(held, request.revision);
  if (!settings) return request;
  const limits = settings.usageLimits;
  // A caller's estimate is in its (older) budget's unit; tokens convert, dollars cannot be guessed.
  const estimate =
    limits && request.budget && limits.type === request.budget.unit ? request.budget.estimate : limits?.type === 'tokens' ? (request.estimatedTokens ?? 0) : 0;
  return {
    rateLimits: settings.rateLimits,
    ...(request.estimatedTokens !== undefined ? { estimatedTokens: request.estimatedTokens } : {}),
    ...(limits ? { budget: { limit: limits.credit_limit, unit: limits.type, period: budgetPeriod(limits, now), estimate } } : {}),
  };
}

/** The same for a settlement: its amount in the unit of the newer budget, or nothing. */
export function currentSettlement(held: LedgerSettings | undefined, settlement: Settlement, now: number): Settlement {
  const settings = newer(held, settlement.revision);
  if (!settings) return settlement;
  const limits = settings.usageLimits;
  if (!limits) return { reservationId: settlement.reservationId, tokens: settlement.tokens, amount: 0 };
  const amount = settlement.budget && limits.type === settlement.budget.unit ? settlement.amount : limits.type === 'tokens' ? settlement.tokens : 0;
  const budget = { unit: limits.type, period: budgetPeriod(limits, now), ...(limits.alert_threshold !== undefined ? { alertThreshold: limits.alert_threshold } : {}) };
  return { reservationId: settlement.reservationId, tokens: settlement.tokens, amount, budget };
}
