// USD prices per million tokens, for cost budgets.
//
// Source: the providers' public price lists (OpenAI API pricing; Amazon Bedrock on-demand pricing,
// US East; Google Vertex AI generative AI pricing), cross-checked against public copies of
// LiteLLM's model_prices_and_context_window.json. Pinned on 2026-11-23 and trimmed to common
// models: standard on-demand rates, no batch, cache or long-context tiers. Azure OpenAI is priced
// by its underlying OpenAI model (name it as `model` in a deployment). A price missing here can be
// set per virtual key in `usage_limits.model_prices`.

export interface ModelPrice {
  input_per_million: number;
  output_per_million: number;
}

const price = (input: number, output: number): ModelPrice => ({ input_per_million: input, output_per_million: output });

const PRICES: Readonly<Record<string, ModelPrice>> = {
  // OpenAI (and Azure OpenAI by underlying model)
  'gpt-4o': price(2.5, 10),
  'gpt-4o-mini': price(0.15, 0.6),
  'gpt-4.1': price(2, 8),
  'gpt-4.1-mini': price(0.4, 1.6),
  'gpt-4.1-nano': price(0.1, 0.4),
  'gpt-4-turbo': price(10, 30),
  'gpt-3.5-turbo': price(0.5, 1.5),
  o1: price(15, 60),
  'o3-mini': price(1.1, 4.4),
  'o4-mini': price(1.1, 4.4),
  'text-embedding-3-small': price(0.02, 0),
  'text-embedding-3-large': price(0.13, 0),
  'text-embedding-ada-002': price(0.1, 0),
  // Amazon Bedrock
  'anthropic.claude-3-haiku-20240307-v1:0': price(0.25, 1.25),
  'anthropic.claude-3-5-haiku-20241022-v1:0': price(0.8, 4),
  'anthropic.claude-3-5-sonnet-20240620-v1:0': price(3, 15),
  'anthropic.claude-3-5-sonnet-20241022-v2:0': price(3, 15),
  'anthropic.claude-3-7-sonnet-20250219-v1:0': price(3, 15),
  'anthropic.claude-3-opus-20240229-v1:0': price(15, 75),
  'amazon.nova-micro-v1:0': price(0.035, 0.14),
  'amazon.nova-lite-v1:0': price(0.06, 0.24),
  'amazon.nova-pro-v1:0': price(0.8, 3.2),
  'meta.llama3-1-8b-instruct-v1:0': price(0.22, 0.22),
  'meta.llama3-1-70b-instruct-v1:0': price(0.72, 0.72),
  // Google Vertex AI
  'gemini-1.5-flash': price(0.075, 0.3),
  'gemini-1.5-pro': price(1.25, 5),
  'gemini-2.0-flash': price(0.1, 0.4),
  'gemini-2.0-flash-lite': price(0.075, 0.3),
  'gemini-2.5-flash': price(0.3, 2.5),
  'gemini-2.5-flash-lite': price(0.1, 0.4),
  'gemini-2.5-pro': price(1.25, 10),
  'gemini-3-pro-preview': price(2, 12),
};

/**
 * Names that price as another: dated OpenAI snapshots, Bedrock cross-region inference profiles and
 * Gemini's numbered versions (gemini-2.0-flash-001).
 */
function candidates(model: string): string[] {
  const withoutRegion = model.replace(/^(us|eu|apac|us-gov|global)\./, '');
  const withoutDate = withoutRegion.replace(/-\d{4}-\d{2}-\d{2}$|-\d{3}$/, '');
  return [...new Set([model, withoutRegion, withoutDate])];
}

/** The price of `model`: the key's own override first, then the table; null when unknown. */
export function priceOf(model: string, overrides: Readonly<Record<string, ModelPrice>> = {}): ModelPrice | null {
  // The name as given is the first candidate, and the one most calls use: the rewrites are made
  // only when it is not listed (this runs on every call).
  if (Object.hasOwn(overrides, model)) return overrides[model]!;
  if (Object.hasOwn(PRICES, model)) return PRICES[model]!;
  for (const name of candidates(model)) {
    if (Object.hasOwn(overrides, name)) return overrides[name]!;
    if (Object.hasOwn(PRICES, name)) return PRICES[name]!;
  }
  return null;
}

/** USD for the given prompt and completion tokens. */
export function costOf(tokens: { promptTokens: number; completionTokens: number }, modelPrice: ModelPrice): number {
  return (tokens.promptTokens * modelPrice.input_per_million + tokens.completionTokens * modelPrice.output_per_million) / 1_000_000;
}
