// fast-check generators for hostile input: strings, JSON values, bodies, headers, methods and
// path segments. The route-specific cases (fuzz-admin-cases.ts, fuzz-gateway-cases.ts) build on
// these, mixing right fields with wrong types, huge and odd strings, `__proto__` keys, deep nesting
// and bodies that are not JSON at all.

import * as fc from 'fast-check';
import { Cat, Long, Obj, Raw, Ref, type AlphabetName, type Json, type Str } from './fuzz-values';

/** A request that names no fixture's body or path: what every case is built into. */
export interface RequestCase {
  /** The route's template, e.g. `/v1/virtual-keys/{slug}`: with the method, how failures are grouped. */
  route: string;
  method: string;
  path: string;
  /** Appended to `path` one by one after a `/`; a `Raw` segment goes in as written, any other encoded. */
  segments: ReadonlyArray<Str | Raw>;
  query: ReadonlyArray<readonly [Str, Str]>;
  headers: ReadonlyArray<readonly [string, Str]>;
  body: { json: Json } | { text: Str } | null;
}

/** Models the fake upstream reads as orders to fail or stall (scripts/lib/fake-openai.mjs). */
const FAKE_UPSTREAM_ORDERS = new Set(['fail-429', 'fail-500', 'html-200', 'fail-html', 'garbage-json', 'garbage-http', 'reset', 'slow', 'slow-stream', 'split-stream', 'hold-stream', 'hold-after-text']);
/** Words in a model id that make the fake Bedrock fail (scripts/lib/fake-aws.mjs). */
const FAKE_BEDROCK_ORDERS = /throttled|missing|invalid|unavailable|tool|stream-exception|bad-crc/;

export function isFakeUpstreamOrder(text: string): boolean {
  // The fake holds a stream for any model whose name starts so (hold-after-text-separators).
  return FAKE_UPSTREAM_ORDERS.has(text) || text.startsWith('hold-after-text') || FAKE_BEDROCK_ORDERS.test(text);
}

/** Every method a Request can carry here: the usual ones, TRACE, WebDAV's, and lowercase spellings. */
export const ANY_METHOD = fc.constantFrom(
  ...['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'get', 'post', 'put', 'patch', 'delete'].filter(
    (method) => {
      try {
        return Boolean(new Request('https://keygate.test/', { method }));
      } catch {
        return false;
      }
    },
  ),
);

/** A route's own methods most of the time, any method now and then. */
export function methodOf(...natural: string[]): fc.Arbitrary<string> {
  return fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...natural) }, { weight: 1, arbitrary: ANY_METHOD });
}

const lengths = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 201, max: 1_000 }) },
  { weight: 2, arbitrary: fc.integer({ min: 1_001, max: 10_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 10_001, max: 40_000 }) },
);

export function longText(alphabets: AlphabetName[] = ['letters', 'printable', 'json', 'unicode']): fc.Arbitrary<Long> {
  return fc
    .record({ alphabet: fc.constantFrom(...alphabets), seed: fc.integer(), length: lengths })
    .map(({ alphabet, seed, length }) => new Long(alphabet, seed, length));
}

const SPECIAL_STRINGS = [
  '', ' ', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__',
  '.', '..', '../..', '/', '//', '@', '@/', '@@', '%', '%00', '%2e%2e', '%2F', '\u0000', '\n', '\r\n', '\t', '"', "'", '\\',
  '{}', '[]', 'null', 'undefined', 'NaN', 'true', '0', '-1', '1e999', '😀', '\ud800', 'ı', 'ß', 'ﬀ', '\u202e', '\u2028',
  'x'.repeat(200), 'ws_default', 'openai', 'azure-openai', 'bedrock', 'active', 'disabled', 'expired', 'exhausted',
  'completions.write', 'workspaces.create', '2999-01-01T00:00:00Z', '2000-01-01T00:00:00Z', 'tomorrow', 'kg-ak-', 'Bearer ',
  'us-east-1', 'gpt-4o-mini', '<script>', "' OR 1=1 --", '$where', '${jndi:x}', 'arn:aws:iam::123456789012:role/x',
];

export const hostileString: fc.Arbitrary<Str> = fc.oneof(
  { weight: 5, arbitrary: fc.string({ maxLength: 16 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  { weight: 4, arbitrary: fc.constantFrom(...SPECIAL_STRINGS) },
  { weight: 2, arbitrary: longText() },
);

const HEADER_SPECIALS = ['', ' ', 'Bearer', 'Bearer ', 'bearer  kg-test-admin-key', 'Basic a2c6a2c=', 'kg-ak-', 'null', '*', 'x'.repeat(200)];

/** Header-safe (printable Latin-1) text: what a header can carry at all. */
export const headerText: fc.Arbitrary<Str> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 2, arbitrary: fc.constantFrom(...HEADER_SPECIALS) },
  { weight: 1, arbitrary: longText(['letters', 'printable']) },
);

const RAW_NUMBERS = ['1e999', '-1e999', '-0', '1e-400', '123456789012345678901234567890', '0.1e1', '1E2', '9007199254740993'];

/** JSON nested `depth` times: arrays, objects, or `__proto__` objects. */
export const deepJson: fc.Arbitrary<Raw> = fc
  .tuple(fc.integer({ min: 64, max: 5_000 }), fc.constantFrom('[', '{"a":', '{"__proto__":'))
  .map(([depth, open]) => new Raw(open === '[' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${open.repeat(depth)}1${'}'.repeat(depth)}`));

export const hostileKey: fc.Arbitrary<Str> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', 'Name', 'NAME', 'provider ') },
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: longText(['letters', 'unicode']) },
);

const number = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -1, 1, 2 ** 53, -(2 ** 53), 1e308, 5e-324, 1_000_000_001, 1_800_000, 0.5),
);

export const hostileJson: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 2, arbitrary: fc.constantFrom<Json>(null, true, false) },
    { weight: 2, arbitrary: number },
    { weight: 5, arbitrary: hostileString },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_NUMBERS).map((text) => new Raw(text)) },
    { weight: 2, arbitrary: fc.array(tie('value'), { maxLength: 4 }) },
    { weight: 2, arbitrary: fc.array(fc.tuple(hostileKey, tie('value')), { maxLength: 4 }).map((entries) => new Obj(entries)) },
    { weight: 1, arbitrary: deepJson },
  ),
})).value;

/** Usually a right value, sometimes any hostile one. */
export function mostly(value: fc.Arbitrary<Json>): fc.Arbitrary<Json> {
  return fc.oneof({ weight: 4, arbitrary: value }, { weight: 1, arbitrary: hostileJson });
}

export interface Field {
  name: string;
  value: fc.Arbitrary<Json>;
  required?: boolean;
}

const camelCase = (name: string) => name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());

/**
 * An object with the route's fields: each present or left out (a required one usually present),
 * spelt snake_case or camelCase, right or wrong in type, plus up to two hostile extra entries.
 */
export function objectOf(fields: Field[]): fc.Arbitrary<Obj> {
  const chosen = fields.map((field) =>
    fc.record({
      present: field.required ? fc.integer({ min: 0, max: 19 }).map((draw) => draw > 0) : fc.boolean(),
      camel: fc.integer({ min: 0, max: 4 }).map((draw) => draw === 0),
      value: mostly(field.value),
    }),
  );
  return fc
    .tuple(fc.tuple(...chosen), fc.array(fc.tuple(hostileKey, hostileJson), { maxLength: 2 }))
    .map(
      ([picks, extra]) =>
        new Obj([
          ...picks.flatMap((pick, index): Array<readonly [Str, Json]> => {
            const name = fields[index]!.name;
            return pick.present ? [[pick.camel ? camelCase(name) : name, pick.value]] : [];
          }),
          ...extra,
        ]),
    );
}

const NOT_JSON = ['', ' ', '{', '{"a":', '{"model":"x"', 'null', '[]', '1', '"x"', 'not json', '\u0000', '{}garbage', '[1,2,]', "{'a':1}", 'name=x&provider=openai'];

/** Mostly the route's own body; now and then any JSON, text that is not JSON, or nothing. */
export function bodyOf(object: fc.Arbitrary<Obj>): fc.Arbitrary<RequestCase['body']> {
  return fc.oneof(
    { weight: 12, arbitrary: object.map((json) => ({ json })) },
    { weight: 1, arbitrary: hostileJson.map((json) => ({ json })) },
    { weight: 1, arbitrary: fc.oneof(fc.constantFrom(...NOT_JSON), hostileString).map((text) => ({ text })) },
    { weight: 1, arbitrary: fc.constant(null) },
  );
}

export const contentType: fc.Arbitrary<string | null> = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8', 'Application/JSON', 'text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x', 'application/json-patch+json', 'application/vnd.api+json', 'application/jsonx', '', '*/*',
    ),
  },
  { weight: 1, arbitrary: fc.constant(null) },
);

const wrongKey = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), minLength: 43, maxLength: 43 }).map((tail) => `kg-ak-${tail}`);

/**
 * A key: the admin key, a real workspace key, one with only completions.write, one that may only
 * read virtual keys (so neither call the gateway nor write), or a wrong one.
 */
export const presentedKey: fc.Arbitrary<Str> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(new Ref('adminKey')) },
  { weight: 3, arbitrary: fc.constant(new Ref('workspaceKey')) },
  { weight: 2, arbitrary: fc.constant(new Ref('completionsKey')) },
  { weight: 1, arbitrary: fc.constant(new Ref('readOnlyKey')) },
  { weight: 1, arbitrary: wrongKey },
  { weight: 1, arbitrary: headerText },
);

type Headers = Array<readonly [string, Str]>;

export const authHeaders: fc.Arbitrary<Headers> = fc.oneof(
  { weight: 4, arbitrary: presentedKey.map((key): Headers => [['x-portkey-api-key', key]]) },
  { weight: 4, arbitrary: presentedKey.map((key): Headers => [['authorization', new Cat(['Bearer ', key])]]) },
  { weight: 1, arbitrary: presentedKey.map((key): Headers => [['authorization', key]]) },
  {
    weight: 1,
    arbitrary: fc.tuple(presentedKey, presentedKey).map(([first, second]): Headers => [['x-portkey-api-key', first], ['authorization', new Cat(['Bearer ', second])]]),
  },
  { weight: 1, arbitrary: fc.constantFrom<Headers>([], [['authorization', 'Bearer']], [['x-portkey-api-key', '']]) },
);

/** The client's address as Cloudflare reports it; a few fixed ones, so that slowing down happens too. */
const clientAddress: fc.Arbitrary<Headers> = fc.oneof(
  { weight: 6, arbitrary: fc.ipV4().map((address): Headers => [['cf-connecting-ip', address]]) },
  { weight: 1, arbitrary: fc.ipV6().map((address): Headers => [['cf-connecting-ip', address]]) },
  { weight: 2, arbitrary: fc.constantFrom<Headers>([['cf-connecting-ip', '203.0.113.1']], [['cf-connecting-ip', '2001:db8::1']]) },
  { weight: 1, arbitrary: fc.constant<Headers>([]) },
);

const EXTRA_HEADER_NAMES = [
  'accept', 'accept-encoding', 'user-agent', 'origin', 'cookie', 'x-forwarded-for', 'x-request-id', 'api-key', 'x-api-key',
  'x-portkey-config', 'x-portkey-provider', 'x-portkey-trace-id', 'openai-organization', 'x-stainless-retry-count',
];

/** Authentication, content type, client address and up to two other headers. */
export function headersWith(extra: fc.Arbitrary<Headers> = fc.constant([])): fc.Arbitrary<Headers> {
  return fc
    .tuple(authHeaders, contentType, clientAddress, extra, fc.array(fc.tuple(fc.constantFrom(...EXTRA_HEADER_NAMES), headerText), { maxLength: 2 }))
    .map(([auth, type, address, own, others]) => [...auth, ...(type === null ? [] : [['content-type', type] as const]), ...address, ...own, ...others]);
}

/** A path segment: usually one of `refs`, else a hostile string, or a dot segment and friends as written. */
export function segmentOf(refs: fc.Arbitrary<Str>): fc.Arbitrary<Str | Raw> {
  return fc.oneof(
    { weight: 5, arbitrary: refs },
    { weight: 3, arbitrary: hostileString },
    { weight: 1, arbitrary: fc.constantFrom('..', '.', '', '%2e%2e', '%2F', '%00', '%', '%zz', ';x', 'a%2Fb').map((text) => new Raw(text)) },
  );
}

const QUERY_NAMES = [
  'current_page',
  'page_size',
  'workspace_id',
  'workspaceId',
  'name',
  'exact_name',
  'type',
  'api-version',
  // The audit log's.
  'start_time',
  'end_time',
  'organisation_id',
  'response_status_code',
  'resource_type',
  'action',
  'method',
  'cursor',
  'limit',
];
const QUERY_VALUES = [
  ...['0', '1', '-1', '50', '100', '101', '1e3', '1.5', 'abc', '', ' ', 'NaN', 'Infinity', '0x10'],
  ...['2026-11-30', '2026-11-30T12:00:00Z', '2026-11-30T12:00:00+14:00', '2026-02-30', '9999-12-31', 'virtual_key', 'create', 'POST'],
  `1:${'0'.repeat(64)}`,
];

export const query: fc.Arbitrary<Array<readonly [Str, Str]>> = fc.array(
  fc.tuple(
    fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...QUERY_NAMES) }, { weight: 1, arbitrary: hostileString }),
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...QUERY_VALUES) },
      { weight: 1, arbitrary: fc.constant(new Ref('workspaceId')) },
      { weight: 2, arbitrary: hostileString },
    ),
  ),
  { maxLength: 3 },
);
