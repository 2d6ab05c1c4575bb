// Metering one gateway call: admission against the key's limits before it is forwarded, then,
// once its answer has been delivered, settlement in the ledger and a row in the usage history.
// Both writes happen after the response (waitUntil); the request path only waits for admission,
// and only on a key that has limits.

import { admitToLedger, requiredPrice, settleInLedger } from '../limits/ledger-client';
import { CHARACTERS_PER_TOKEN, estimateUsage } from '../limits/estimate';
import type { VirtualKeyRecord } from '../store/virtual-key-record';
import { costOf, priceOf } from './prices';
import { insertUsageEvent } from './usage-events';
import type { Usage } from './usage';

export interface Metering {
  /** The call's actual usage, once an answer or a stream reports it. */
  onUsage(usage: Usage): void;
  /**
   * The call is over, with this status. Without reported usage, an answered call is charged an
   * estimate and recorded as estimated: for a stream cut short, its prompt estimate plus what it
   * streamed (about 4 characters a token); otherwise the request's estimate. A failed call is
   * charged nothing.
   */
  finish(status: number, stream?: { streamedCharacters: number }): void;
}

const NO_USAGE: Usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };

function streamedEstimate(estimate: Usage, streamedCharacters: number): Usage {
  const completionTokens = Math.ceil(streamedCharacters / CHARACTERS_PER_TOKEN);
  return { promptTokens: estimate.promptTokens, completionTokens, totalTokens: estimate.promptTokens + completionTokens };
}

export async function startMetering(
  env: Env,
  context: Pick<ExecutionContext, 'waitUntil'>,
  record: VirtualKeyRecord,
  call: { path: string; json: Record<string, unknown> | null },
  pricedModel: string | null,
): Promise<Metering> {
  const startedAt = Date.now();
  const limits = record.usageLimits;
  const estimate = estimateUsage(call.path, call.json);
  const budgetPrice = limits?.type === 'cost' ? requiredPrice(record, limits, pricedModel) : null;
  const listPrice = budgetPrice ?? (pricedModel === null ? null : priceOf(pricedModel, limits?.model_prices));
  // What a usage costs in the budget's unit: USD for a cost budget, tokens otherwise.
  const budgetAmount = (usage: Usage) => (budgetPrice ? costOf(usage, budgetPrice) : usage.totalTokens);
  const limited = record.rateLimits.length > 0 || limits !== null;
  const reservationId = limited ? await admitToLedger(env, record, budgetAmount(estimate), startedAt) : null;

  let reported: Usage | null = null;
  let finished = false;
  return {
    onUsage(usage) {
      reported = usage;
    },
    finish(status, stream) {
      if (finished) return;
      finished = true;
      const answered = status < 400;
      const charged = reported ?? (answered ? (stream ? streamedEstimate(estimate, stream.streamedCharacters) : estimate) : NO_USAGE);
      const now = Date.now();
      if (limited) {
        context.waitUntil(settleInLedger(env, record, { reservationId, tokens: charged.totalTokens, amount: budgetAmount(charged) }, now));
      }
      const event = {
        id: crypto.randomUUID(),
        workspaceId: record.workspaceId,
        virtualKeyId: record.id,
        virtualKeySlug: record.slug,
        provider: record.provider,
        model: pricedModel,
        ...charged,
        costUsd: listPrice ? costOf(charged, listPrice) : null,
        status,
        latencyMs: now - startedAt,
        estimated: reported === null && answered,
        createdAt: new Date(now).toISOString(),
      };
      context.waitUntil(
        insertUsageEvent(env.DB, event).catch((error: unknown) =>
          console.error(JSON.stringify({ level: 'warn', code: 'usage_event_not_written', slug: record.slug, message: error instanceof Error ? error.message : '' })),
        ),
      );
    },
  };
}
