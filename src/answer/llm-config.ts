import type { LlmConfig } from '../config.ts';

export type { LlmConfig } from '../config.ts';

/** For startup logs: model and endpoint, without the key or any credentials in the URL. */
export function describeLlmConfig(config: LlmConfig): string {
  const url = new URL(config.baseURL);
  return `${config.model} at ${url.origin}${url.pathname.replace(/\/$/, '')}`;
}
