import { openApp, type App, type AppOptions } from '../src/app.ts';
import { CORPUS, ROOT } from './helpers.ts';
import path from 'node:path';

let opened: Promise<App> | undefined;

/**
 * The real app over the real corpus and model, opened once per test file. The index lives in the
 * project's embeddings/ (built by the first file that needs it, then loaded in ~50 ms).
 */
export function sharedApp(): Promise<App> {
  opened ??= openFixtureApp();
  return opened;
}

/** Another app over the same corpus and index (with other models, say), opened afresh. */
export function openFixtureApp(opts: AppOptions = {}): Promise<App> {
  return openApp({ corpusDir: CORPUS, indexDir: process.env.POLICY_ASSISTANT_INDEX_DIR ?? path.join(ROOT, 'embeddings'), quiet: true, llm: null, ...opts });
}
