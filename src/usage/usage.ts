// What one call used, in tokens, read from OpenAI-shaped `usage` objects (chat, completions and
// embeddings name them prompt/completion; the Responses API names them input/output).

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export function parseUsage(usage: unknown): Usage | null {
  if (usage === null || typeof usage !== 'object') return null;
  const fields = usage as Record<string, unknown>;
  const number = (...names: string[]) => names.map((name) => fields[name]).find((value): value is number => typeof value === 'number');
  const promptTokens = number('prompt_tokens', 'input_tokens');
  const reported = number('completion_tokens', 'output_tokens') ?? 0;
  const totalTokens = number('total_tokens') ?? (promptTokens === undefined ? undefined : promptTokens + reported);
  if (totalTokens === undefined) return null;
  // Tokens a total counts beyond prompt and completion (Gemini's thinking, on Vertex's OpenAI
  // endpoint) are generated tokens, billed as output: they count as completion tokens.
  const completionTokens = promptTokens === undefined ? reported : Math.max(reported, totalTokens - promptTokens);
  return { promptTokens: promptTokens ?? totalTokens - completionTokens, completionTokens, totalTokens };
}
