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
  const completionTokens = number('completion_tokens', 'output_tokens') ?? 0;
  const totalTokens = number('total_tokens') ?? (promptTokens === undefined ? undefined : promptTokens + completionTokens);
  if (totalTokens === undefined) return null;
  return { promptTokens: promptTokens ?? totalTokens - completionTokens, completionTokens, totalTokens };
}
