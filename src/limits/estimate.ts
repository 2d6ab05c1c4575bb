// How many tokens a request will probably use, reserved against a budget until the real usage is
// known. It needs to be realistic, not exact: a burst can overshoot a budget by at most what the
// in-flight requests' estimates fell short.
//
// Prompt tokens are counted at about 4 characters a token (OpenAI's rule of thumb for English),
// plus the chat format's overhead: 3 tokens per message and 3 to prime the reply, as OpenAI's
// cookbook counts them. The completion is `max_tokens` (or its newer names) or, when a request
// sets none, DEFAULT_COMPLETION_TOKENS.

export const DEFAULT_COMPLETION_TOKENS = 256;
export const CHARACTERS_PER_TOKEN = 4;
const TOKENS_PER_MESSAGE = 3;
const REPLY_PRIMING_TOKENS = 3;

// Message content nests (parts inside content inside messages); anything deeper is not text a
// model reads, and walking it without a bound would let a crafted body exhaust the stack.
const MAX_DEPTH = 8;

function textTokens(root: unknown): number {
  let tokens = 0;
  const pending: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 0 }];
  for (let item = pending.pop(); item; item = pending.pop()) {
    const { value, depth } = item;
    if (typeof value === 'string') tokens += Math.ceil(value.length / CHARACTERS_PER_TOKEN);
    else if (depth >= MAX_DEPTH) continue;
    else if (Array.isArray(value)) for (const part of value) pending.push({ value: part, depth: depth + 1 });
    else if (value !== null && typeof value === 'object') {
      const { text, content } = value as { text?: unknown; content?: unknown };
      pending.push({ value: text, depth: depth + 1 }, { value: content, depth: depth + 1 });
    }
  }
  return tokens;
}

function promptTokens(body: Record<string, unknown>): number {
  if (Array.isArray(body.messages)) {
    const messages = body.messages as unknown[];
    return messages.reduce((sum: number, message) => sum + TOKENS_PER_MESSAGE + textTokens(message), 0) + REPLY_PRIMING_TOKENS;
  }
  return textTokens(body.prompt) + textTokens(body.input);
}

function completionTokens(path: string, body: Record<string, unknown>): number {
  if (path === '/embeddings') return 0;
  for (const field of ['max_completion_tokens', 'max_tokens', 'max_output_tokens']) {
    const value = body[field];
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) return Math.ceil(value);
  }
  return DEFAULT_COMPLETION_TOKENS;
}

/** The estimated usage of a call with a JSON body; calls without one get the default completion. */
export function estimateUsage(path: string, body: Record<string, unknown> | null): { promptTokens: number; completionTokens: number; totalTokens: number } {
  const prompt = body ? promptTokens(body) : 0;
  const completion = body ? completionTokens(path, body) : DEFAULT_COMPLETION_TOKENS;
  return { promptTokens: prompt, completionTokens: completion, totalTokens: prompt + completion };
}
