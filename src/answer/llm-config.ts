import { LlmConfigError } from './llm.ts';

/**
 * LLM settings from the environment. The LLM is optional: without a base URL and a model the
 * assistant answers offline. The API key is kept only here and in the client; nothing that
 * describes the configuration (logs, errors) includes it.
 */
export interface LlmConfig {
  /** OpenAI-compatible endpoint, e.g. https://api.openai.com/v1 or http://localhost:11434/v1. */
  baseURL: string;
  apiKey: string;
  model: string;
  /** Budget for one LLM call (answer or follow-up rewrite). */
  timeoutMs: number;
}

export const LLM_ENV = {
  baseURL: 'POLICY_ASSISTANT_LLM_BASE_URL',
  apiKey: 'POLICY_ASSISTANT_LLM_API_KEY',
  model: 'POLICY_ASSISTANT_LLM_MODEL',
  timeoutMs: 'POLICY_ASSISTANT_LLM_TIMEOUT_MS',
} as const;

export const DEFAULT_LLM_TIMEOUT_MS = 20_000;

/** Local servers (Ollama, vLLM) take no key, but the OpenAI client insists on one. */
const NO_KEY = 'not-needed';

/** The LLM configuration, or undefined (offline mode) when the base URL or the model is not set. */
export function llmConfigFromEnv(env: NodeJS.ProcessEnv = process.env): LlmConfig | undefined {
  const baseURL = env[LLM_ENV.baseURL]?.trim();
  const model = env[LLM_ENV.model]?.trim();
  if (!baseURL || !model) return undefined;
  if (!URL.canParse(baseURL)) throw new LlmConfigError(`${LLM_ENV.baseURL} is not a URL`);
  const rawTimeout = env[LLM_ENV.timeoutMs]?.trim();
  const timeoutMs = rawTimeout ? Number(rawTimeout) : DEFAULT_LLM_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new LlmConfigError(`${LLM_ENV.timeoutMs} must be a positive whole number of milliseconds, got "${rawTimeout}"`);
  return { baseURL, apiKey: env[LLM_ENV.apiKey]?.trim() || NO_KEY, model, timeoutMs };
}

/** For startup logs: model and endpoint, without the key or any credentials in the URL. */
export function describeLlmConfig(config: LlmConfig): string {
  const url = new URL(config.baseURL);
  return `${config.model} at ${url.origin}${url.pathname.replace(/\/$/, '')}`;
}
