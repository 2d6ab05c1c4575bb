// 401s on admin routes reach the audit log folded twice. Here, per isolate: a source's first
// refusal of a minute is sent at once, later ones are counted and sent as one count every
// FLUSH_EVERY refusals, or with the first refusal of a later minute. Then in the organisation's
// AuditChain object, which adds those counts into one record per source and minute. So a flood
// of missing or wrong keys costs a Durable Object call per source and minute, and one per
// FLUSH_EVERY refusals after that, not one per request. Counts an isolate had not sent when it
// was retired are lost: a record's count is a lower bound, never more than what happened.

import { addressGroup } from '../auth/failed-sign-ins';
import type { AuditRecord } from './audit-record';

const FLUSH_EVERY = 50;
const MAX_SOURCES = 1000;

interface Fold {
  record: AuditRecord;
  /** Refusals counted here and not sent yet. */
  unsent: number;
}

export class RefusalFolds {
  readonly #folds = new Map<string, Fold>();
  #minute = '';

  /** Counts `record` (a refusal with count 1); answers the records to send now, counts in `count`. */
  add(record: AuditRecord): AuditRecord[] {
    const minute = record.timestamp.slice(0, 16);
    const due: AuditRecord[] = [];
    if (minute !== this.#minute) {
      this.#minute = minute;
      for (const [slot, fold] of this.#folds) {
        if (slot.startsWith(`${minute}|`)) continue;
        if (fold.unsent > 0) due.push({ ...fold.record, count: fold.unsent });
        this.#folds.delete(slot);
      }
    }
    const slot = `${minute}|${addressGroup(record.client_ip ?? '')}`;
    const fold = this.#folds.get(slot);
    if (!fold) {
      // Bounded: past this many sources, the counts kept so far are dropped (never overstated).
      if (this.#folds.size >= MAX_SOURCES) this.#folds.clear();
      this.#folds.set(slot, { record, unsent: 0 });
      due.push(record);
    } else if (++fold.unsent >= FLUSH_EVERY) {
      due.push({ ...fold.record, count: fold.unsent });
      fold.unsent = 0;
    }
    return due;
  }
}

/** The isolate's refusals being folded. */
export const refusalFolds = new RefusalFolds();
