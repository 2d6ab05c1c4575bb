// Changes to a JSON request body that keep the rest of it byte for byte: re-serialising would
// round integers past 2^53 (a `seed`, say) and reformat what the client sent. The text is walked
// by a small scanner that skips strings and nested values. No regular expression is ever built
// from the body: a long value made one V8 refuses to compile, and every such call a 500.

/**
 * The body with top-level `field` set to `value`; `text` is the JSON object `parsed` was read
 * from. An absent field is inserted after the opening brace. Every top-level copy of a repeated
 * key is replaced: JSON.parse keeps the last, and an upstream's parser may keep the first.
 */
export function withTopLevelField(text: string, parsed: Record<string, unknown>, field: string, value: unknown): string {
  const member = `${JSON.stringify(field)}:${JSON.stringify(value)}`;
  const spans = Object.hasOwn(parsed, field) ? memberSpans(text, field) : [];
  if (spans.length === 0) {
    const brace = text.indexOf('{') + 1;
    const rest = text.slice(brace);
    return `${text.slice(0, brace)}${member}${rest.trim().startsWith('}') ? '' : ','}${rest}`;
  }
  let rewritten = '';
  let copied = 0;
  for (const [start, end] of spans) {
    rewritten += text.slice(copied, start) + member;
    copied = end;
  }
  return rewritten + text.slice(copied);
}

// A fixed pattern, used with lastIndex to jump to the next character that matters.
const STRUCTURE = /["{}[\],]/g;

/** Where each top-level member named `field` is: from its key to the end of its value. */
function memberSpans(text: string, field: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  let depth = 0;
  let key = -1; // where the current top-level member starts; -1 between members
  let named = false;
  STRUCTURE.lastIndex = 0;
  for (let mark = STRUCTURE.exec(text); mark; mark = STRUCTURE.exec(text)) {
    const at = mark.index;
    if (mark[0] === '"') {
      STRUCTURE.lastIndex = stringEnd(text, at);
      // The first string of a top-level member is its key. JSON.parse reads escapes: `"mod\u0065l"` is `model`.
      if (depth === 1 && key < 0) named = JSON.parse(text.slice((key = at), STRUCTURE.lastIndex)) === field;
    } else if (mark[0] === '{' || mark[0] === '[') {
      depth++;
    } else {
      // A comma or a closing bracket at the top level ends the member before it.
      if (depth === 1 && key >= 0) {
        let end = at;
        while (/\s/.test(text[end - 1]!)) end--;
        if (named) spans.push([key, end]);
        key = -1;
      }
      if (mark[0] !== ',') depth--;
    }
  }
  return spans;
}

/** Just past the string literal that opens at `start`. */
function stringEnd(text: string, start: number): number {
  for (let quote = text.indexOf('"', start + 1); quote !== -1; quote = text.indexOf('"', quote + 1)) {
    let backslashes = 0;
    while (text[quote - 1 - backslashes] === '\\') backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
  }
  return text.length;
}
