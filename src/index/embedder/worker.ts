// The embedding model on a worker thread. onnxruntime-node 1.14 runs a session synchronously on the
// calling thread (its async run() only defers to process.nextTick), so on the main thread every
// uncached query blocked the HTTP event loop for a whole model call (~10–30 ms), and back-to-back
// calls chained through nextTick starved socket I/O under load. Here the tokenizer and the model
// run off the event loop; the main thread only posts texts and receives vectors.

import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { basename, dirname } from 'node:path';
import { pathToFileURL } from 'node:url';

// JavaScript run with `eval`, not a module file: the same code then works from src/ (tsx, vitest)
// and from the dist/cli.js bundle, which has no separate worker file to point at.
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

/** A worker thread holding one loaded model; embed() calls are answered in the order made. */
export class InferenceWorker {
  private readonly pending = new Map<number, { resolve: (data: Float32Array) => void; reject: (err: Error) => void }>();
  private nextId = 0;
  private failure?: Error;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (msg: Reply) => {
      if (!('id' in msg)) return;
      const call = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      this.idleCheck();
      if ('error' in msg) call?.reject(new Error(msg.error));
      else call?.resolve(msg.data);
    });
    const fail = (err: Error) => {
      this.failure ??= err;
      for (const call of this.pending.values()) call.reject(this.failure);
      this.pending.clear();
      this.idleCheck();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the embedding worker exited (code ${code})`)));
  }

  /** Starts a worker and loads the model in `modelDir`; rejects with the loader's message. */
  static async start(modelDir: string): Promise<InferenceWorker> {
    const transformersUrl = pathToFileURL(createRequire(import.meta.url).resolve('@xenova/transformers')).href;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      // The source is CommonJS; a parent started with --input-type=module would make it ESM.
      execArgv: process.execArgv.filter((a) => !a.startsWith('--input-type')),
      workerData: { transformersUrl, localModelPath: dirname(modelDir), modelName: basename(modelDir) },
    });
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

  /** The model's pooled, normalised vectors for `texts`, concatenated. */
  embed(texts: string[]): Promise<Float32Array> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const result = new Promise<Float32Array>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.worker.ref();
    this.worker.postMessage({ id, texts });
    return result;
  }

  // An idle worker must not keep the process alive (a CLI search exits when done), but one with
  // calls outstanding must: nothing else may be holding the event loop open while they run.
  private idleCheck(): void {
    if (this.pending.size === 0) this.worker.unref();
  }
}
