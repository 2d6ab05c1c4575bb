// The values the fuzz tests generate, kept symbolic until a request is built, so that a reported
// counterexample reads well and replays against any run's fixtures:
// - `Ref` names a fixture (the admin key, a real workspace key, a real slug) resolved per run;
// - `Long` is a long string described by its seed and length, not printed in full;
// - `Raw` is JSON text written as it is (deep nesting, numbers JSON.parse turns into Infinity);
// - `Obj` is an object as a list of entries, so `__proto__` and repeated names reach the wire.

import * as fc from 'fast-check';

export type FixtureName =
  | 'adminKey'
  | 'workspaceKey'
  | 'completionsKey'
  | 'readOnlyKey'
  | 'workspaceId'
  | 'workspaceKeyId'
  | 'completionsKeyId'
  | 'slug'
  | 'budgetSlug'
  | 'limitedSlug'
  | 'azureSlug'
  | 'bedrockSlug';

export type Fixtures = Record<FixtureName, string>;

export class Ref {
  constructor(readonly name: FixtureName) {}
  [fc.toStringMethod](): string {
    return `$${this.name}`;
  }
}

const ALPHABETS = {
  letters: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  printable: Array.from({ length: 95 }, (_, index) => String.fromCharCode(32 + index)).join(''),
  json: '{}[]":,\\/ \t\n0123456789eE.+-truefalsnul',
  unicode: 'aé€ş😀中文ﬀ\u202e\u0000\u00a0\u2028\ud800',
};
export type AlphabetName = keyof typeof ALPHABETS;

/** A long string: `length` characters drawn from `alphabet` by a generator seeded with `seed`. */
export class Long {
  static readonly #texts = new Map<string, string>();

  constructor(
    readonly alphabet: AlphabetName,
    readonly seed: number,
    readonly length: number,
  ) {}

  get text(): string {
    const id = `${this.alphabet}/${this.seed}/${this.length}`;
    let text = Long.#texts.get(id);
    if (text === undefined) {
      // Pseudo-random, not repeated: any 201 characters of it occur in it once, so finding them in
      // an error message means they were quoted, not that the message happens to look alike.
      const characters = [...ALPHABETS[this.alphabet]];
      let state = this.seed | 0;
      const parts: string[] = [];
      for (let index = 0; index < this.length; index++) {
        // mulberry32
        state = (state + 0x6d2b79f5) | 0;
        let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
        mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
        parts.push(characters[((mixed ^ (mixed >>> 14)) >>> 0) % characters.length]!);
      }
      text = parts.join('').slice(0, this.length);
      if (Long.#texts.size > 2_000) Long.#texts.clear();
      Long.#texts.set(id, text);
    }
    return text;
  }

  [fc.toStringMethod](): string {
    return `long(${this.alphabet}, seed ${this.seed}, ${this.length} chars)`;
  }
}

/** Several pieces written one after the other, e.g. `@` + a slug + `/` + a model. */
export class Cat {
  constructor(readonly parts: readonly Str[]) {}
  [fc.toStringMethod](): string {
    return `cat(${this.parts.map((part) => fc.stringify(part)).join(', ')})`;
  }
}

export type Str = string | Long | Ref | Cat;

export class Raw {
  constructor(readonly text: string) {}
  [fc.toStringMethod](): string {
    return this.text.length > 40 ? `raw(${JSON.stringify(this.text.slice(0, 20))}…${this.text.length} chars)` : `raw(${JSON.stringify(this.text)})`;
  }
}

export class Obj {
  constructor(readonly entries: ReadonlyArray<readonly [Str, Json]>) {}
  [fc.toStringMethod](): string {
    return `{ ${this.entries.map(([name, value]) => `${fc.stringify(name)}: ${fc.stringify(value)}`).join(', ')} }`;
  }
}

export type Json = null | boolean | number | Str | Raw | Obj | Json[];

export function isStr(value: unknown): value is Str {
  return typeof value === 'string' || value instanceof Long || value instanceof Ref || value instanceof Cat;
}

export function textOf(value: Str, fixtures: Fixtures): string {
  if (typeof value === 'string') return value;
  if (value instanceof Long) return value.text;
  if (value instanceof Ref) return fixtures[value.name];
  return value.parts.map((part) => textOf(part, fixtures)).join('');
}

/** JSON text, written by hand so that any key (`__proto__` too) and any repetition survive. */
export function serialize(value: Json, fixtures: Fixtures): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'number') return JSON.stringify(value);
  if (isStr(value)) return JSON.stringify(textOf(value, fixtures));
  if (value instanceof Raw) return value.text;
  if (value instanceof Obj) {
    return `{${value.entries.map(([name, entry]) => `${JSON.stringify(textOf(name, fixtures))}:${serialize(entry, fixtures)}`).join(',')}}`;
  }
  return `[${value.map((entry) => serialize(entry, fixtures)).join(',')}]`;
}

/** Every generated text over 200 characters in `value`: what no error message may quote whole. */
export function longTexts(value: unknown, fixtures: Fixtures, into: Set<string> = new Set()): Set<string> {
  if (value instanceof Long) into.add(value.text);
  else if (value instanceof Raw) {
    if (value.text.length > 200) into.add(value.text);
  } else if (value instanceof Cat || value instanceof Ref || typeof value === 'string') {
    const text = textOf(value, fixtures);
    if (text.length > 200) into.add(text);
    if (value instanceof Cat) for (const part of value.parts) longTexts(part, fixtures, into);
  } else if (value instanceof Obj) {
    for (const [name, entry] of value.entries) {
      longTexts(name, fixtures, into);
      longTexts(entry, fixtures, into);
    }
  } else if (Array.isArray(value)) {
    for (const entry of value) longTexts(entry, fixtures, into);
  } else if (value !== null && typeof value === 'object') {
    for (const entry of Object.values(value)) longTexts(entry, fixtures, into);
  }
  return into;
}

/** UTF-8 percent-encoding of a path segment or query part; a lone surrogate becomes U+FFFD. */
export function percentEncode(text: string): string {
  let encoded = '';
  for (const byte of new TextEncoder().encode(text)) {
    const character = String.fromCharCode(byte);
    encoded += /[A-Za-z0-9\-._~]/.test(character) ? character : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}
