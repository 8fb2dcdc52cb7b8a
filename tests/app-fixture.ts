import { openApp, type App } from '../src/app.ts';
import { CORPUS, ROOT } from './helpers.ts';
import path from 'node:path';

let opened: Promise<App> | undefined;

/**
 * The real app over the real corpus and model, opened once per test file. The index lives in the
 * project's embeddings/ (built by the first file that needs it, then loaded in ~50 ms).
 */
export function sharedApp(): Promise<App> {
  opened ??= openApp({
    corpusDir: CORPUS,
    indexDir: process.env.POLICY_ASSISTANT_INDEX_DIR ?? path.join(ROOT, 'embeddings'),
    quiet: true,
    llm: null,
  });
  return opened;
}
