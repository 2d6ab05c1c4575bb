// The fuzz tests are only as good as their checks: each rule must flag an answer that breaks it,
// and pass one that keeps it. Checked here on answers made by hand.

import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { answerViolations, buildRequest, quotedInput, type Answer } from './support/fuzz-answers';
import { adminCase } from './support/fuzz-admin-cases';
import { gatewayCase } from './support/fuzz-gateway-cases';
import type { RequestCase } from './support/fuzz-inputs';
import { Cat, Long, Obj, Raw, Ref, serialize, type Fixtures } from './support/fuzz-values';

const FIXTURES = new Proxy({} as Fixtures, { get: (_, name) => `<${String(name)}>` });
const LONG = new Long('letters', 7, 5_000);

const REQUEST: RequestCase = {
  route: '/v1/chat/completions',
  method: 'POST',
  path: '/v1',
  segments: ['chat', 'completions'],
  query: [],
  headers: [['authorization', new Cat(['Bearer ', new Ref('adminKey')])]],
  body: { json: new Obj([['model', new Cat(['@', new Ref('slug'), '/', LONG])]]) },
};

function answer(status: number, body: unknown, headers: Record<string, string> = {}): Answer {
  const all = new Headers({ 'content-type': 'application/json; charset=utf-8', 'x-request-id': 'req-1', ...headers });
  return { status, headers: all, text: typeof body === 'string' ? body : JSON.stringify(body), relayed: all.has('x-upstream-request-id') };
}

const keygateError = (message: string, code = 'invalid_model') => ({ error: { message, type: 'invalid_request_error', code, param: null }, message });

function kinds(found: Answer): string[] {
  const built = buildRequest(REQUEST, FIXTURES)!;
  return answerViolations(REQUEST, found, built.inputs).map((violation) => violation.kind);
}

describe('the fuzz checks', () => {
  it('pass an error in the shape, with a request id and a bounded quote', () => {
    expect(kinds(answer(400, keygateError(`model ${LONG.text.slice(0, 200)}… is unknown`)))).toEqual([]);
    expect(kinds(answer(502, keygateError('The upstream provider could not be reached.', 'upstream_unreachable')))).toEqual([]);
    expect(kinds(answer(500, { error: { message: 'The server had an error', type: 'server_error', code: null }, message: 'x' }, { 'x-upstream-request-id': 'u' }))).toEqual([]);
  });

  it('flag a 500, a missing request id, a body out of shape, and a quote of 201 characters', () => {
    expect(kinds(answer(500, keygateError('Keygate hit an internal error.', 'internal_error')))).toEqual(['status 500 (internal_error)']);
    const noId = answer(404, keygateError('No route.', 'route_not_found'));
    noId.headers.delete('x-request-id');
    expect(kinds(noId)).toEqual(['no x-request-id']);
    expect(kinds(answer(400, 'Bad Request', { 'content-type': 'text/plain' }))).toEqual(['400 not in the error shape: content-type text/plain']);
    expect(kinds(answer(400, { error: 'bad' }))).toEqual(['400 not in the error shape: no error.message and message']);
    expect(kinds(answer(400, keygateError(`model ${LONG.text.slice(100, 301)} is unknown`)))).toEqual(['400 invalid_model quotes over 200 characters of input']);
  });

  it('pass 100 characters quoted JSON-escaped, even where the escapes make them longer than 200', () => {
    const model = '\u0001'.repeat(1_000);
    const request: RequestCase = { ...REQUEST, body: { json: new Obj([['model', model]]) } };
    const built = buildRequest(request, FIXTURES)!;
    const message = `no price for model ${JSON.stringify(model.slice(0, 100))}`;
    expect(message.length).toBeGreaterThan(200);
    expect(answerViolations(request, answer(400, keygateError(message, 'unknown_model_price')), built.inputs)).toEqual([]);
  });

  it('find 201 characters of input anywhere in a message, and nothing in one of 200', () => {
    const inputs = new Set([LONG.text]);
    expect(quotedInput([`x${LONG.text.slice(4_000, 4_201)}x`], inputs)).toBe(LONG.text.slice(4_000, 4_201));
    expect(quotedInput([`${LONG.text.slice(0, 200)}…${LONG.text.slice(200, 400)}`], inputs)).toBeNull();
  });

  it('write JSON that keeps __proto__, repeated names and raw numbers as generated', () => {
    const json = serialize(new Obj([['__proto__', 1], ['a', new Raw('1e999')], ['a', [null, new Ref('slug')]]]), FIXTURES);
    expect(json).toBe('{"__proto__":1,"a":1e999,"a":[null,"<slug>"]}');
    expect(Object.keys(JSON.parse(json) as object)).toEqual(['__proto__', 'a']);
  });

  it('generate requests a Request can carry, for the admin API and the gateway', () => {
    for (const cases of [adminCase, gatewayCase]) {
      const built = fc.sample(cases, { numRuns: 300, seed: 1 }).map((generated) => buildRequest(generated, FIXTURES));
      expect(built.filter((request) => request === null).length).toBeLessThan(3);
    }
  });
});
