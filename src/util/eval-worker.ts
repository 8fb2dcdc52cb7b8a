import { Worker } from 'node:worker_threads';

/**
 * A worker thread running `source`, CommonJS evaluated as a string rather than a module file: the
 * same code then works from src/ (tsx, vitest) and from the dist/cli.js bundle, which has no
 * separate worker file to point at.
 */
export function evalWorker(source: string, workerData?: unknown): Worker {
  return new Worker(source, {
    eval: true,
    // A parent started with --input-type=module would make the CommonJS source ESM.
    execArgv: process.execArgv.filter((a) => !a.startsWith('--input-type')),
    workerData,
  });
}
