// CreateVirtualKeyBody and AuditLogQuery parse by hand what the OpenAPI document's schemas (a zod
// discriminated union, a zod union) would, so zod's union code stays out of the bundle. Checked
// here against those schemas, input for input: the same value, or the same first issue.

import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { AuditLogQuery, documentedAuditLogQuery } from '../src/admin/audit-log-schemas';
import { CreateVirtualKeyBody, documentedCreateBody } from '../src/admin/virtual-key-schemas';
import { describeIssue } from '../src/http/validation';
import { isoDate, isoDateTime } from '../src/schemas/checks';

function outcome(schema: z.ZodMiniType, input: unknown) {
  const result = z.safeParse(schema, structuredClone(input));
  return result.success ? { value: result.data } : { issue: describeIssue(result.error.issues[0]!) };
}

const future = new Date(Date.now() + 30 * 86_400_000).toISOString();
const anyValue = fc.anything({ maxDepth: 2 });
const createBody = fc.oneof(
  anyValue,
  fc.record(
    {
      provider: fc.oneof(fc.constantFrom('openai', 'azure-openai', 'bedrock', 'anthropic', ''), anyValue),
      name: fc.oneof(fc.constantFrom('prod', ' ', 'x'.repeat(201)), anyValue),
      key: fc.oneof(fc.constantFrom('sk-test', ''), anyValue),
      resource_name: fc.constantFrom('res', 'bad name'),
      deployment_config: fc.constantFrom([{ deployment_name: 'd', api_version: '2024-06-01' }], [], 'x'),
      aws_region: fc.constantFrom('us-east-1', 'nowhere'),
      aws_access_key_id: fc.constant('AKIAEXAMPLE'),
      aws_secret_access_key: fc.constant('secret'),
      expires_at: fc.constantFrom(future, '2001-01-01T00:00:00Z', null, 'soon'),
      workspace_id: fc.constantFrom('', 'ws-1'),
      rate_limits: fc.constantFrom([], [{ type: 'requests', unit: 'rpm', value: 10 }], 'x'),
      unknown_field: anyValue,
    },
    { requiredKeys: [] },
  ),
);
const instant = fc.oneof(
  fc.date({ min: new Date(-1e13), max: new Date(1e13), noInvalidDate: true }).map((date) => date.toISOString()),
  fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((date) => date.toISOString().slice(0, 10)),
  fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((date) => date.toISOString().replace('Z', '+05:30')),
  fc.constantFrom('2024-02-29', '2023-02-29', '2026-01-01T00:00Z', '2026-01-01T00:00:00', '2026-01-01T25:00:00Z'),
  fc.stringMatching(/^[0-9T:.Z+-]{0,26}$/),
);

describe('schemas parsed by hand, against the schemas the document shows', () => {
  it('isoDateTime says what it expects whatever the wrong value is, a string or not', () => {
    for (const value of [123, true, {}, [], 'soon', '2027-02-30T00:00:00Z']) {
      const result = z.safeParse(isoDateTime('must be an ISO 8601 date-time'), value);
      expect(result.success ? null : result.error.issues[0]!.message).toBe('must be an ISO 8601 date-time');
    }
  });

  it('isoDateTime and isoDate accept what z.iso.datetime({ offset: true }) and z.iso.date() do', () => {
    const calendar = fc.oneof(
      instant,
      fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 })).map(
        ([year, month, day]) => `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
      ),
      fc.constantFrom('0000-02-29', '1900-02-29', '2000-02-29', '2100-02-29', '2024-04-31', '2024-12-31T23:59:60Z', '2024-01-01T00:00:00.5-23:59', '2024-01-01T00:00:00+24:00'),
    );
    const withTimes = fc.oneof(calendar, fc.tuple(calendar, fc.constantFrom('T00:00:00Z', 'T23:59:59.123+05:30', 'T12:00Z', 'T12:00:00')).map(([day, time]) => day.slice(0, 10) + time));
    fc.assert(
      fc.property(withTimes, (value) => {
        expect(z.safeParse(isoDateTime(), value).success).toBe(z.safeParse(z.iso.datetime({ offset: true }), value).success);
        expect(z.safeParse(isoDate(), value).success).toBe(z.safeParse(z.iso.date(), value).success);
      }),
      { numRuns: 3_000 },
    );
  });

  it('CreateVirtualKeyBody parses as a discriminated union of the providers would', () => {
    const documented = documentedCreateBody();
    const same = (input: unknown) => expect(outcome(CreateVirtualKeyBody, input)).toEqual(outcome(documented, input));
    fc.assert(fc.property(createBody, (input) => void same(input)), { numRuns: 2000 });
  });

  it('AuditLogQuery accepts the instants a union of a date-time and a date would', () => {
    const documented = documentedAuditLogQuery();
    const same = (input: unknown) => expect(outcome(AuditLogQuery, input)).toEqual(outcome(documented, input));
    fc.assert(fc.property(fc.record({ start_time: instant, end_time: instant }, { requiredKeys: [] }), (input) => void same(input)), { numRuns: 2000 });
  });
});
