// Embedder backed by transformers.js + onnxruntime-node, running the verified local model only.

import { LRUCache } from 'lru-cache';
import { resolve } from 'node:path';
import type { Embedder } from '../ports.ts';
import { isAborted } from '../../util/abort.ts';
import { ModelLoadError } from './errors.ts';
import { MODEL_DIMS, resolveModel, type ResolvedModel, type ResolveModelOptions } from './resolve.ts';
import { InferenceWorker } from './worker.ts';

/** bge-zh retrieval instruction; applied to queries only. */
export const QUERY_PREFIX = '为这个句子生成表示以用于检索相关文章：';

// The quantized ONNX graph quantizes activations with one scale per tensor, so a text's vector
// depends on its batch neighbours (cosine ~0.994 vs alone). Batching also bought no speed on a
// 2-core CPU, so texts run one per call: vectors are reproducible and queries (embedded alone)
// live in the same regime as passages. Small calls also let queries interleave with indexing.
// Short queries gain nothing either (measured on the dev questions: 9.6 ms/query alone, 10–12.5 in
// batches of 4–32; batched query vectors at cosine 0.991–0.994 of their single-call vectors), so
// concurrent distinct queries are not batched together.
const DEFAULT_BATCH_SIZE = 1;
const DEFAULT_QUERY_CACHE_SIZE = 1000;
// The tokenizer truncates to 512 tokens; clipping characters first bounds tokenizer work on huge
// inputs (512 tokens never span more than ~4k characters of Chinese or English text).
const MAX_INPUT_CHARS = 4096;

export interface TransformersEmbedderOptions extends ResolveModelOptions {
  /** Texts per model call (default 1, see above). */
  batchSize?: number;
  /** Max cached query vectors (default 1000; 0 disables). */
  queryCacheSize?: number;
}

async function loadWorker(dir: string): Promise<InferenceWorker> {
  const modelDir = resolve(dir);
  try {
    return await InferenceWorker.start(modelDir);
  } catch (err) {
    throw new ModelLoadError(`could not load the embedding model from ${modelDir}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

export class TransformersEmbedder implements Embedder {
  readonly modelId: string;
  readonly modelSha256: string;
  readonly dims = MODEL_DIMS;
  private readonly batchSize: number;
  // undefined when disabled (size 0): lru-cache needs a positive max.
  private readonly queryCache?: LRUCache<string, Promise<Float32Array>>;

  private constructor(
    readonly model: ResolvedModel,
    // Runs model calls one at a time, in FIFO order, off the event loop: each call already uses
    // every core, and FIFO keeps query latency bounded while a bulk embedPassages is running.
    private readonly worker: InferenceWorker,
    opts: TransformersEmbedderOptions,
  ) {
    this.modelId = model.modelId;
    this.modelSha256 = model.sha256;
    this.batchSize = Math.max(1, opts.batchSize ?? DEFAULT_BATCH_SIZE);
    const size = opts.queryCacheSize ?? DEFAULT_QUERY_CACHE_SIZE;
    this.queryCache = size > 0 ? new LRUCache({ max: size }) : undefined;
  }

  /** Resolves (and if needed fetches) the model, loads it and checks its output shape. */
  static async create(opts: TransformersEmbedderOptions = {}): Promise<TransformersEmbedder> {
    const model = await resolveModel(opts);
    const embedder = new TransformersEmbedder(model, await loadWorker(model.dir), opts);
    const [probe] = await embedder.embedAll(['北京']);
    if (probe?.length !== MODEL_DIMS) {
      throw new ModelLoadError(`model in ${model.dir} produced ${probe?.length} dims, expected ${MODEL_DIMS}`);
    }
    return embedder;
  }

  async embedQueries(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    for (;;) {
      try {
        return await this.embedQueriesOnce(texts, signal);
      } catch (err) {
        // A cached call that another request started and then abandoned: embed it for this one.
        if (!isAborted(err) || signal?.aborted) throw err;
      }
    }
  }

  private async embedQueriesOnce(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const pending = new Map<string, Promise<Float32Array>>();
    const missing: string[] = [];
    for (const text of new Set(texts)) {
      const hit = this.queryCache?.get(text);
      if (hit) pending.set(text, hit);
      else missing.push(text);
    }
    if (missing.length > 0) {
      const batch = this.embedAll(
        missing.map((t) => QUERY_PREFIX + t),
        undefined,
        signal,
      );
      missing.forEach((text, i) => {
        const vector = batch.then((vectors) => vectors[i]!);
        pending.set(text, vector);
        this.queryCache?.set(text, vector);
      });
      batch.catch(() => missing.forEach((text) => this.queryCache?.delete(text)));
    }
    const vectors = await Promise.all(texts.map((t) => pending.get(t)!));
    // Copies, so a caller mutating its vector cannot corrupt the cache.
    return vectors.map((v) => v.slice());
  }

  embedPassages(texts: string[], onProgress?: (done: number, total: number) => void): Promise<Float32Array[]> {
    return this.embedAll(texts, onProgress);
  }

  private async embedAll(texts: string[], onProgress?: (done: number, total: number) => void, signal?: AbortSignal): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += this.batchSize) {
      const batch = texts.slice(i, i + this.batchSize).map((t) => t.slice(0, MAX_INPUT_CHARS));
      out.push(...(await this.run(batch, signal)));
      onProgress?.(out.length, texts.length);
    }
    return out;
  }

  private async run(batch: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const data = await this.worker.embed(batch, signal);
    const dims = data.length / batch.length;
    return batch.map((_, i) => data.slice(i * dims, (i + 1) * dims));
  }
}
