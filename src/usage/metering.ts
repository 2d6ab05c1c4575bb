// Metering one gateway call in two steps: `admit` checks it against the key's limits before it is
// forwarded; `settle`, once its answer has been delivered, charges the ledger and writes a row of
// usage history. Both writes happen after the response (waitUntil); the request path only waits
// for admission, and only on a key that has limits.

import { admitAtEveryLevel, requiredPrice, settleInLedger, type AdmittedAt } from '../limits/ledger-client';
import { hasLimits, type LimitLevel } from '../limits/limit-levels';
import { CHARACTERS_PER_TOKEN, estimateUsage } from '../limits/estimate';
import type { VirtualKeyRecord } from '../store/virtual-key-record';
import { errorStatus, KeygateError } from '../errors';
import { costOf, priceOf, type ModelPrice } from './prices';
import { recordUsageEvent } from './usage-events';
import { newUsageEventId } from '../store/identifiers';
import type { Usage } from './usage';

/** An admitted call, to be settled once when it is over. */
export interface AdmittedCall {
  /** The call's actual usage, once an answer or a stream reports it. */
  onUsage(usage: Usage): void;
  /**
   * Settles the call, which is over with this status. Without reported usage, an answered call is
   * charged an estimate and recorded as estimated: for a stream cut short (or whose client went
   * away), its prompt estimate plus what it streamed (about 4 characters a token); otherwise the
   * request's estimate. A failed call is charged nothing.
   */
  settle(status: number, stream?: { streamedCharacters: number }): void;
}

const NO_USAGE: Usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };

/**
 * The status recorded for a call whose client went away before the upstream answered (nginx's
 * 499). The provider may already have read, and billed, the prompt and more: such a call is
 * charged its estimate, as an unsettled reservation would be, never nothing.
 */
export const CLIENT_CLOSED_REQUEST = 499;

function streamedEstimate(estimate: Usage, streamedCharacters: number): Usage {
  const completionTokens = Math.ceil(streamedCharacters / CHARACTERS_PER_TOKEN);
  return { promptTokens: estimate.promptTokens, completionTokens, totalTokens: estimate.promptTokens + completionTokens };
}

/** Calls that generate (a JSON body naming a model) are estimated and priced; others (GET /models, uploads) are not. */
function isGeneration(call: { json: Record<string, unknown> | null }): boolean {
  return call.json !== null && typeof call.json.model === 'string';
}

/**
 * Admits a call at every level of `levels` that has limits (limit-levels.ts), or throws the
 * refusal (which is recorded too): 429 or 412 from a ledger, 400 for a model a cost budget has no
 * price for, 415 for a body that a level counting tokens or cost cannot read.
 */
export async function admit(
  env: Env,
  context: Pick<ExecutionContext, 'waitUntil'>,
  record: VirtualKeyRecord,
  levels: readonly LimitLevel[],
  call: { path: string; json: Record<string, unknown> | null; uncountableBody: boolean },
  pricedModel: string | null,
  apiKeyId: string | null,
): Promise<AdmittedCall> {
  const startedAt = Date.now();
  const generation = isGeneration(call);
  // Walking a long prompt costs time on every call, and most calls never need the estimate: only
  // admission to a limited level does, or a call whose answer reports no usage. So it is made
  // once, when first needed.
  let madeEstimate: Usage | null = null;
  const estimate = (): Usage => (madeEstimate ??= generation ? estimateUsage(call.path, call.json) : NO_USAGE);

  const writeEvent = (charged: Usage, status: number, estimated: boolean, costUsd: number | null) => {
    const now = Date.now();
    const event = {
      id: newUsageEventId(now),
      workspaceId: record.workspaceId,
      virtualKeyId: record.id,
      virtualKeySlug: record.slug,
      apiKeyId,
      provider: record.provider,
      model: pricedModel,
      ...charged,
      costUsd,
      status,
      latencyMs: now - startedAt,
      estimated,
      createdAt: new Date(now).toISOString(),
    };
    recordUsageEvent(env.DB, context, event);
  };

  // Each limited level charges in its own unit: tokens, or USD at its own prices.
  let charges: { level: LimitLevel; price: ModelPrice | null; reserved: number }[] = [];
  let admitted: AdmittedAt[] = [];
  try {
    const limited = levels.filter(hasLimits);
    const countsUsage = (level: LimitLevel) => level.usageLimits !== null || level.rateLimits.some((rule) => rule.type === 'tokens');
    const counting = limited.find(countsUsage);
    if (call.uncountableBody && counting) {
      throw new KeygateError(
        'unsupported_media_type',
        'unsupported_media_type',
        `${counting.name} counts tokens or cost: send a JSON object, or multipart/form-data to an upload path (files, audio, image edits).`,
      );
    }
    charges = limited.map((level) => {
      const price = level.usageLimits?.type === 'cost' && generation ? requiredPrice(level, level.usageLimits, pricedModel) : null;
      return { level, price, reserved: price ? costOf(estimate(), price) : estimate().totalTokens };
    });
    if (charges.length > 0) {
      const asks = charges.map(({ level, reserved }) => ({ level, estimate: { amount: reserved, tokens: estimate().totalTokens } }));
      admitted = await admitAtEveryLevel(env, context, asks, startedAt);
    }
  } catch (error) {
    // A refused call is history too: the analytics will want to see what was refused.
    writeEvent(NO_USAGE, error instanceof KeygateError ? errorStatus(error) : 500, false, null);
    throw error;
  }
  const own = levels.find((level) => level.kind === 'virtual_key')?.usageLimits;
  const listPrice = pricedModel === null || !generation ? null : priceOf(pricedModel, own?.model_prices);

  let reported: Usage | null = null;
  let settled = false;
  return {
    onUsage(usage) {
      reported = usage;
    },
    settle(status, stream) {
      if (settled) return;
      settled = true;
      const answered = status < 400 || status === CLIENT_CLOSED_REQUEST;
      const isEstimate = reported === null && answered && generation;
      const charged = reported ?? (isEstimate ? (stream ? streamedEstimate(estimate(), stream.streamedCharacters) : estimate()) : NO_USAGE);
      const now = Date.now();
      charges.forEach(({ level, price, reserved }, index) => {
        // What a usage costs in the level's unit: USD for a cost budget, tokens otherwise.
        const amount = level.usageLimits?.type === 'cost' ? (price ? costOf(charged, price) : 0) : charged.totalTokens;
        // Only what the level counts: tokens against token limits, the amount against its budget.
        const countsTokens = level.rateLimits.some((rule) => rule.type === 'tokens');
        const usedMoreThanReserved = (countsTokens && charged.totalTokens > estimate().totalTokens) || (level.usageLimits !== null && amount > reserved);
        const { reservationId, lease } = admitted[index]!;
        settleInLedger(env, context, level, { reservationId, tokens: charged.totalTokens, amount, ...(lease ? { lease } : {}) }, now, usedMoreThanReserved);
      });
      writeEvent(charged, status, isEstimate, listPrice ? costOf(charged, listPrice) : null);
    },
  };
}
