// Usage in OpenAI-shaped SSE streams. Keygate asks upstreams for the usage chunk of a stream when
// it needs usage to meter, but a client that did not ask for it must not receive it: a last chunk
// with `choices: []` breaks code that reads `chunk.choices[0]`. The gateway reads every event once
// (gateway/metered-response.ts) with `sseEventFacts`: its usage, its text, and whether it is that
// chunk.

import { parseUsage, type Usage } from '../usage/usage';

const EVENT_END = /\r?\n\r?\n/;

/** What metering needs from one OpenAI-shaped SSE event, read with a single JSON parse. */
export interface SseEventFacts {
  /** The usage it reports: chat and completion chunks carry `usage`, the Responses API's last event `response.usage`. */
  usage: Usage | null;
  /**
   * Characters of generated text: chat `delta.content` and tool call arguments, completion
   * `text`, and the Responses API's `delta`.
   */
  textLength: number;
  /** The chunk that only carries usage (`choices: []`), which a client that did not ask must not see. */
  usageOnly: boolean;
}

const NO_FACTS: SseEventFacts = { usage: null, textLength: 0, usageOnly: false };

// An event's first `data:` line. SSE ends lines at \r and \n only; a regex's `.`, `^` and `$`
// also stop at U+2028 and U+2029, which JSON text may hold as they are (and models do write).
const DATA_LINE = /(^|[\r\n])data: ?([^\r\n]*)/;

export function sseEventFacts(event: string): SseEventFacts {
  const data = DATA_LINE.exec(event)?.[2];
  if (!data || data === '[DONE]') return NO_FACTS;
  let parsed: { choices?: unknown; type?: unknown; delta?: unknown; usage?: unknown; response?: { usage?: unknown } };
  try {
    parsed = JSON.parse(data);
  } catch {
    return NO_FACTS;
  }
  if (parsed === null || typeof parsed !== 'object') return NO_FACTS;
  let textLength = typeof parsed.type === 'string' && typeof parsed.delta === 'string' ? parsed.delta.length : 0;
  const choices = Array.isArray(parsed.choices) ? parsed.choices : [];
  for (const choice of choices) {
    const { delta, text } = (choice ?? {}) as { delta?: { content?: unknown; tool_calls?: unknown }; text?: unknown };
    if (typeof text === 'string') textLength += text.length;
    if (typeof delta?.content === 'string') textLength += delta.content.length;
    for (const call of Array.isArray(delta?.tool_calls) ? delta.tool_calls : []) {
      const argumentsText = (call as { function?: { arguments?: unknown } })?.function?.arguments;
      if (typeof argumentsText === 'string') textLength += argumentsText.length;
    }
  }
  const usage = parseUsage(parsed.usage ?? parsed.response?.usage ?? null);
  const usageOnly = Array.isArray(parsed.choices) && choices.length === 0 && parsed.usage !== null && typeof parsed.usage === 'object';
  return { usage, textLength, usageOnly };
}

/**
 * A chunk that carries usage beside its choices (Gemini's last chunk on Vertex) without that usage,
 * for a client that did not ask for it. Only that one chunk is parsed and written again.
 */
export function withoutUsage(event: string): string {
  return event.replace(DATA_LINE, (line, lineStart: string, data: string) => {
    try {
      const { usage: _usage, ...rest } = JSON.parse(data) as Record<string, unknown>;
      return `${lineStart}data: ${JSON.stringify(rest)}`;
    } catch {
      return line;
    }
  });
}

// `"usage":null` after another field, or before one. (A quote inside a JSON string is escaped, so
// only a real key can match.) One pattern, so each event is scanned once.
const NULL_USAGE = /,\s*"usage":\s*null(?=\s*[,}])|"usage":\s*null\s*,\s*/g;

/** Asking for usage makes every chunk carry `"usage":null`; a client that did not ask never had it. */
export function withoutNullUsage(event: string): string {
  return event.replace(NULL_USAGE, '');
}

/**
 * Splits SSE text into whole events across chunk boundaries. Each event is passed with the blank
 * line that ended it; `rest()` returns what is left when the stream ends.
 */
export function sseEventSplitter(onEvent: (event: string) => void): { push(text: string): void; rest(): string } {
  let pending = '';
  return {
    push(text) {
      pending += text;
      // Most upstreams end lines with \n alone: then the blank line is found without a regex.
      const plainNewlines = !pending.includes('\r');
      for (;;) {
        let end: number;
        if (plainNewlines) {
          const at = pending.indexOf('\n\n');
          if (at === -1) return;
          end = at + 2;
        } else {
          const match = EVENT_END.exec(pending);
          if (!match) return;
          end = match.index + match[0].length;
        }
        onEvent(pending.slice(0, end));
        pending = pending.slice(end);
      }
    },
    rest() {
      const rest = pending;
      pending = '';
      return rest;
    },
  };
}
