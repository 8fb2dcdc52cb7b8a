// Adapts any Embedder to LangChain's Embeddings so LangChain vector stores and retrievers can use it.

import { Embeddings, type EmbeddingsParams } from '@langchain/core/embeddings';
import type { Embedder } from '../ports.ts';

export class EmbedderEmbeddings extends Embeddings {
  constructor(
    readonly embedder: Embedder,
    params: EmbeddingsParams = {},
  ) {
    super(params);
  }

  // Called directly rather than through this.caller: a local model gains nothing from its retries.
  override async embedDocuments(documents: string[]): Promise<number[][]> {
    const vectors = await this.embedder.embedPassages(documents);
    return vectors.map((v) => Array.from(v));
  }

  override async embedQuery(document: string): Promise<number[]> {
    const [vector] = await this.embedder.embedQueries([document]);
    return Array.from(vector!);
  }
}
