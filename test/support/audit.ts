// Helpers for the audit log: read it through its API, walk the chain's verification to its end,
// and look at the stored rows directly (for the tamper tests).

import { env } from 'cloudflare:workers';
import type { StoredAuditRecord } from '../../src/audit/audit-record';
import { expect } from 'vitest';
import { ADMIN_API_KEY } from './keygate';
import { requestAs } from './access';

/** A stored record as the API answers it. */
export type AuditRow = StoredAuditRecord;

export interface VerifyAnswer {
  valid: boolean;
  checked: number;
  first_invalid: { entry: number | null; request_id: string | null; timestamp: string | null; reason: string } | null;
  next_cursor: string | null;
}

const WHOLE_RANGE = { start_time: '2000-01-01T00:00:00Z', end_time: '2100-01-01T00:00:00Z' };

/** GET /v1/audit-logs with `query` (the whole time range unless it says otherwise). */
export function getAuditLogs(query: Record<string, string | number> = {}, as = ADMIN_API_KEY, envOverrides = {}): Promise<Response> {
  const search = new URLSearchParams(Object.entries({ ...WHOLE_RANGE, ...query }).map(([name, value]) => [name, String(value)]));
  return requestAs(as, 'GET', `/v1/audit-logs?${search}`, undefined, envOverrides);
}

/** Every record, through the API, oldest first. */
export async function auditRecords(query: Record<string, string | number> = {}, envOverrides = {}): Promise<AuditRow[]> {
  const records: AuditRow[] = [];
  for (let page = 0; ; page++) {
    const response = await getAuditLogs({ ...query, page_size: 100, current_page: page }, ADMIN_API_KEY, envOverrides);
    expect(response.status, await response.clone().text()).toBe(200);
    const body = (await response.json()) as { object: string; total: number; records: AuditRow[] };
    expect(body.object).toBe('list');
    records.push(...body.records);
    if (records.length >= body.total || body.records.length === 0) return records;
  }
}

/** Walks GET /v1/audit-logs/verify page by page; answers the last page, with `checked` summed. */
export async function verifyAll(limit = 1000, envOverrides = {}): Promise<VerifyAnswer & { pages: number }> {
  let cursor: string | null = null;
  let checked = 0;
  for (let pages = 1; ; pages++) {
    const query: string = `?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
    const response = await requestAs(ADMIN_API_KEY, 'GET', `/v1/audit-logs/verify${query}`, undefined, envOverrides);
    expect(response.status, await response.clone().text()).toBe(200);
    const answer = (await response.json()) as VerifyAnswer;
    checked += answer.checked;
    if (!answer.next_cursor) return { ...answer, checked, pages };
    cursor = answer.next_cursor;
  }
}

/** The stored rows, in chain order. */
export async function storedRows(): Promise<AuditRow[]> {
  return (await env.DB.prepare('SELECT * FROM audit_log ORDER BY entry').all<AuditRow>()).results;
}

/** The whole audit log as text, for scans. */
export async function wholeLogText(): Promise<string> {
  return JSON.stringify(await storedRows());
}
