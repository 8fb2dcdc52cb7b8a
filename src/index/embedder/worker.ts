// The embedding model on a worker thread. onnxruntime-node 1.14 runs a session synchronously on the
// calling thread (its async run() only defers to process.nextTick), so on the main thread every
// uncached query blocked the HTTP event loop for a whole model call (~10–30 ms), and back-to-back
// calls chained through nextTick starved socket I/O under load. Here the tokenizer and the model
// run off the event loop; the main thread only posts texts and receives vectors.

import type { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { basename, dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { abortError } from '../../util/abort.ts';
import { evalWorker } from '../../util/eval-worker.ts';

// Evaluated JavaScript (util/eval-worker.ts).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ready = import(workerData.transformersUrl).then(({ env, pipeline }) => {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  // Its own file cache would be consulted before our verified dir.
  env.useFSCache = false;
  env.useBrowserCache = false;
  env.localModelPath = workerData.localModelPath;
  return pipeline('feature-extraction', workerData.modelName, { quantized: true });
});
ready.then(() => parentPort.postMessage({ ready: true }), (err) => parentPort.postMessage({ loadError: String(err && err.message || err) }));
// One model call at a time, in arrival order: each already uses every core.
let queue = Promise.resolve();
parentPort.on('message', ({ id, texts }) => {
  queue = queue.then(async () => {
    try {
      const extractor = await ready;
      const output = await extractor(texts, { pooling: 'cls', normalize: true });
      parentPort.postMessage({ id, data: output.data });
    } catch (err) {
      parentPort.postMessage({ id, error: String(err && err.message || err) });
    }
  });
});
`;

type Reply = { ready: true } | { loadError: string } | { id: number; data: Float32Array } | { id: number; error: string };

interface Job {
  id: number;
  texts: string[];
  signal?: AbortSignal;
  onAbort: () => void;
  resolve: (data: Float32Array) => void;
  reject: (err: Error) => void;
}

/**
 * A worker thread holding one loaded model; embed() calls run one at a time in the order made. The
 * queue is kept here, not in the worker, and a call is posted only when the one before has
 * answered: a queued call whose signal aborts (its client left) is then dropped before it runs.
 */
export class InferenceWorker {
  private readonly queue: Job[] = [];
  private running?: Job;
  private nextId = 0;
  private failure?: Error;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (msg: Reply) => {
      if (!('id' in msg) || msg.id !== this.running?.id) return;
      const job = this.running;
      this.running = undefined;
      if ('error' in msg) job.reject(new Error(msg.error));
      else job.resolve(msg.data);
      this.pump();
    });
    const fail = (err: Error) => {
      this.failure ??= err;
      for (const job of [...(this.running ? [this.running] : []), ...this.queue.splice(0)]) {
        job.signal?.removeEventListener('abort', job.onAbort);
        job.reject(this.failure);
      }
      this.running = undefined;
      this.idleCheck();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the embedding worker exited (code ${code})`)));
  }

  /** Starts a worker and loads the model in `modelDir`; rejects with the loader's message. */
  static async start(modelDir: string): Promise<InferenceWorker> {
    const transformersUrl = pathToFileURL(createRequire(import.meta.url).resolve('@xenova/transformers')).href;
    const worker = evalWorker(WORKER_SOURCE, { transformersUrl, localModelPath: dirname(modelDir), modelName: basename(modelDir) });
    const reply = await new Promise<Reply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the embedding worker exited while loading (code ${code})`)));
    });
    if ('loadError' in reply) {
      await worker.terminate();
      throw new Error(reply.loadError);
    }
    const inference = new InferenceWorker(worker);
    inference.idleCheck();
    return inference;
  }

  /**
   * The model's pooled, normalised vectors for `texts`, concatenated. Rejects with an AbortedError
   * when `signal` aborts while the call still waits its turn; a call already running finishes.
   */
  embed(texts: string[], signal?: AbortSignal): Promise<Float32Array> {
    if (this.failure) return Promise.reject(this.failure);
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise<Float32Array>((resolve, reject) => {
      const job: Job = {
        id: this.nextId++,
        texts,
        signal,
        resolve,
        reject,
        onAbort: () => {
          const at = this.queue.indexOf(job);
          if (at < 0) return;
          this.queue.splice(at, 1);
          this.idleCheck();
          reject(abortError(signal!));
        },
      };
      signal?.addEventListener('abort', job.onAbort, { once: true });
      this.queue.push(job);
      this.worker.ref();
      this.pump();
    });
  }

  /** Number of calls waiting for their turn (for tests and load figures). */
  get queued(): number {
    return this.queue.length;
  }

  private pump(): void {
    if (!this.running) {
      const job = this.queue.shift();
      if (job) {
        job.signal?.removeEventListener('abort', job.onAbort);
        this.running = job;
        this.worker.postMessage({ id: job.id, texts: job.texts });
      }
    }
    this.idleCheck();
  }

  // An idle worker must not keep the process alive (a CLI search exits when done), but one with
  // calls outstanding must: nothing else may be holding the event loop open while they run.
  private idleCheck(): void {
    if (!this.running && this.queue.length === 0) this.worker.unref();
  }
}
