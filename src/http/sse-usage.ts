// Usage in OpenAI-shaped SSE streams. Keygate asks upstreams for the usage chunk of a stream when
// it needs usage to meter, but a client that did not ask for it must not receive it: a last chunk
// with `choices: []` breaks code that reads `chunk.choices[0]`. `withoutUsageChunk` drops exactly
// that chunk and passes every other byte through; `tapUsage` reads usage without changing a byte.

import { parseUsage, type Usage } from '../usage/usage';

const EVENT_END = /\r?\n\r?\n/;

function isUsageOnlyChunk(event: string): boolean {
  const data = /^data: ?(.*)$/m.exec(event)?.[1];
  if (!data || !data.includes('"usage"')) return false;
  try {
    const chunk = JSON.parse(data) as { choices?: unknown; usage?: unknown };
    return Array.isArray(chunk.choices) && chunk.choices.length === 0 && chunk.usage !== null && typeof chunk.usage === 'object';
  } catch {
    return false;
  }
}

/** Passes a stream through unchanged, calling `onUsage` at its end with the usage it carried. */
export function tapUsage(onUsage: (usage: Usage) => void): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  let pending = '';
  let usage: Usage | null = null;
  const scan = (event: string) => {
    const data = /^data: ?(.*)$/m.exec(event)?.[1];
    if (!data || !data.includes('"usage"')) return;
    try {
      // Chat and completion chunks carry `usage`; the Responses API's last event carries `response.usage`.
      const event = JSON.parse(data) as { usage?: unknown; response?: { usage?: unknown } };
      usage = parseUsage(event.usage ?? event.response?.usage ?? null) ?? usage;
    } catch {
      // Not JSON (e.g. [DONE]): no usage in it.
    }
  };
  return new TransformStream({
    transform(bytes, controller) {
      controller.enqueue(bytes);
      pending += decoder.decode(bytes, { stream: true });
      for (let match = EVENT_END.exec(pending); match; match = EVENT_END.exec(pending)) {
        scan(pending.slice(0, match.index));
        pending = pending.slice(match.index + match[0].length);
      }
    },
    flush() {
      if (pending) scan(pending);
      if (usage !== null) onUsage(usage);
    },
  });
}

/** Asking for usage makes every chunk carry `"usage":null`; a client that did not ask never had it. */
function withoutNullUsage(event: string): string {
  return event.replace(/,\s*"usage":\s*null(?=\s*[,}])/g, '').replace(/"usage":\s*null\s*,\s*/g, '');
}

/**
 * The characters of generated text in one OpenAI-shaped SSE event: chat `delta.content` and tool
 * call arguments, completion `text`, and the Responses API's `delta`.
 */
export function streamedTextLength(event: string): number {
  const data = /^data: ?(.*)$/m.exec(event)?.[1];
  if (!data || data === '[DONE]') return 0;
  try {
    const parsed = JSON.parse(data) as { choices?: unknown; type?: unknown; delta?: unknown };
    let length = typeof parsed.type === 'string' && typeof parsed.delta === 'string' ? parsed.delta.length : 0;
    for (const choice of Array.isArray(parsed.choices) ? parsed.choices : []) {
      const { delta, text } = (choice ?? {}) as { delta?: { content?: unknown; tool_calls?: unknown }; text?: unknown };
      if (typeof text === 'string') length += text.length;
      if (typeof delta?.content === 'string') length += delta.content.length;
      for (const call of Array.isArray(delta?.tool_calls) ? delta.tool_calls : []) {
        const argumentsText = (call as { function?: { arguments?: unknown } })?.function?.arguments;
        if (typeof argumentsText === 'string') length += argumentsText.length;
      }
    }
    return length;
  } catch {
    return 0;
  }
}

/** Splits SSE text into whole events across chunk boundaries. */
export function sseEventSplitter(onEvent: (event: string) => void): (text: string) => void {
  let pending = '';
  return (text) => {
    pending += text;
    for (let match = EVENT_END.exec(pending); match; match = EVENT_END.exec(pending)) {
      onEvent(pending.slice(0, match.index));
      pending = pending.slice(match.index + match[0].length);
    }
  };
}

export function withoutUsageChunk(): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let pending = '';
  return new TransformStream({
    transform(bytes, controller) {
      pending += decoder.decode(bytes, { stream: true });
      for (let match = EVENT_END.exec(pending); match; match = EVENT_END.exec(pending)) {
        const end = match.index + match[0].length;
        const event = pending.slice(0, end);
        pending = pending.slice(end);
        if (!isUsageOnlyChunk(event)) controller.enqueue(encoder.encode(withoutNullUsage(event)));
      }
    },
    flush(controller) {
      pending += decoder.decode();
      if (pending && !isUsageOnlyChunk(pending)) controller.enqueue(encoder.encode(withoutNullUsage(pending)));
    },
  });
}

/**
 * Whether an api-version accepts `stream_options`: dated versions from 2024-09-01 on (older ones
 * refuse the field with a 400), and the undated v1 / preview / latest surfaces.
 */
export function acceptsStreamOptions(apiVersion: string): boolean {
  const date = /^(\d{4}-\d{2}-\d{2})/.exec(apiVersion)?.[1];
  return date === undefined || date >= '2024-09-01';
}
