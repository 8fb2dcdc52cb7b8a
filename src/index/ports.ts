// Ports of the index stage: each sits behind a small interface so a component can be swapped
// (another model, pgvector or Qdrant) without touching callers.

export interface Embedder {
  /** Identifies the model, e.g. "Xenova/bge-small-zh-v1.5". */
  readonly modelId: string;
  /** sha256 of the model weights, recorded in the index manifest. */
  readonly modelSha256: string;
  readonly dims: number;
  /**
   * Short user queries: the bge retrieval instruction is prefixed. Vectors are L2-normalised. A
   * call still queued when `signal` aborts is dropped and rejects with an AbortedError.
   */
  embedQueries(texts: string[], signal?: AbortSignal): Promise<Float32Array[]>;
  /** Passages: embedded as given, in batches. Vectors are L2-normalised. */
  embedPassages(texts: string[], onProgress?: (done: number, total: number) => void): Promise<Float32Array[]>;
}

export interface VectorHit {
  id: string;
  /** Cosine similarity in [-1, 1]. */
  score: number;
}

export interface VectorStore {
  readonly size: number;
  add(items: { id: string; vector: Float32Array }[]): Promise<void>;
  remove(ids: string[]): Promise<void>;
  search(vector: Float32Array, k: number, filter?: (id: string) => boolean): Promise<VectorHit[]>;
  save(dir: string): Promise<void>;
}

export interface LexicalHit {
  id: string;
  /** BM25 score (unbounded, > 0). */
  score: number;
  /** Query terms that matched, for explanations. */
  matched: string[];
}

export interface LexicalIndex {
  readonly size: number;
  search(query: string, k: number, filter?: (id: string) => boolean): LexicalHit[];
  /** Number of indexed items containing the term (after tokenisation), for query translation. */
  docFreq(term: string): number;
  /** Tokens the index would use for a text (for explanations and tests). */
  tokenize(text: string): string[];
}
