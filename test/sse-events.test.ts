// How the gateway reads a stream it meters (gateway/metered-response.ts): events are split the same
// way however the upstream's bytes are cut, and a `"usage":null` Keygate caused is taken out of a
// chunk without changing anything else in it.

import { describe, expect, it } from 'vitest';
import { sseEventSplitter, withoutNullUsage } from '../src/wire/sse-usage';

/** A seeded generator, so a failing case can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** The events of a whole SSE text, each with the blank line that ends it, and what is left. */
function eventsOfWholeText(text: string): { events: string[]; rest: string } {
  const events: string[] = [];
  let rest = text;
  for (let match = /\r?\n\r?\n/.exec(rest); match; match = /\r?\n\r?\n/.exec(rest)) {
    events.push(rest.slice(0, match.index + match[0].length));
    rest = rest.slice(match.index + match[0].length);
  }
  return { events, rest };
}

function sseText(next: () => number): string {
  const newline = () => (next() < 0.3 ? '\r\n' : '\n');
  const pieces = ['data: {"a":1}', 'event: x', ': comment', 'data: [DONE]', 'data: {"text":"é\u2028😀"}', 'id: 7', ''];
  let text = '';
  const lines = 1 + Math.floor(next() * 12);
  for (let line = 0; line < lines; line++) text += pieces[Math.floor(next() * pieces.length)]! + newline();
  return next() < 0.5 ? text + newline() : text;
}

describe('SSE events of a metered stream', () => {
  it('are the events of the whole text, however its bytes are cut, with \\n or \\r\\n line ends', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const next = random(seed);
      let text = '';
      for (let event = 0; event < 1 + Math.floor(next() * 6); event++) text += sseText(next);
      const seen: string[] = [];
      const splitter = sseEventSplitter((event) => seen.push(event));
      for (let at = 0; at < text.length; ) {
        const size = 1 + Math.floor(next() * 9);
        splitter.push(text.slice(at, at + size));
        at += size;
      }
      const expected = eventsOfWholeText(text);
      expect({ seed, events: seen, rest: splitter.rest() }).toEqual({ seed, ...expected });
    }
  });

  it('lose only a null usage field, wherever it stands and however the chunk is spaced', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const next = random(seed);
      const fields: [string, unknown][] = [
        ['id', 'chatcmpl-1'],
        ['choices', [{ index: 0, delta: { content: 'say "usage":null, then {}' } }]],
        ['model', 'gpt-4o-mini'],
        ['system_fingerprint', null],
      ].slice(0, 1 + Math.floor(next() * 4)) as [string, unknown][];
      const at = Math.floor(next() * (fields.length + 1));
      const chunk = Object.fromEntries([...fields.slice(0, at), ['usage', null], ...fields.slice(at)]);
      const json = JSON.stringify(chunk, null, next() < 0.5 ? undefined : 1 + Math.floor(next() * 3));
      const event = `data: ${json}\n\n`;
      const { usage: _usage, ...withoutUsage } = chunk;
      const rewritten = withoutNullUsage(event);
      expect(rewritten.startsWith('data: ') && rewritten.endsWith('\n\n')).toBe(true);
      expect({ seed, chunk: JSON.parse(rewritten.slice(6)) }).toEqual({ seed, chunk: withoutUsage });
    }
  });
});
