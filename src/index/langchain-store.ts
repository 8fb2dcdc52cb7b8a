// LangChain VectorStore over our VectorStore port, so LangChain retrievers and chains can use the
// index. Storage stays behind the port: a pgvector or Qdrant adapter of it would drop in here.

import { Document, type DocumentInterface } from '@langchain/core/documents';
import { VectorStore as LangChainVectorStore } from '@langchain/core/vectorstores';
import type { Chunk } from '../chunk/chunk.ts';
import { EmbedderEmbeddings } from './embedder/index.ts';
import type { Embedder, VectorStore } from './ports.ts';

/** What a LangChain Document carries of a chunk besides its text. */
export type ChunkMetadata = Omit<Chunk, 'text' | 'start' | 'end'>;

/** Keeps a hit when it returns true; receives the hit's metadata. */
export type ChunkFilter = (metadata: Record<string, unknown>) => boolean;

export interface PolicyVectorStoreArgs {
  vectors: VectorStore;
  /** Text and metadata of an indexed id (the corpus store's chunks). */
  lookup: (id: string) => Chunk | undefined;
}

export const chunkDocument = (chunk: Chunk): Document<ChunkMetadata> =>
  new Document({
    id: chunk.id,
    pageContent: chunk.text,
    metadata: {
      id: chunk.id,
      clauseId: chunk.clauseId,
      docId: chunk.docId,
      label: chunk.label,
      title: chunk.title,
      headingPath: chunk.headingPath,
    },
  });

export class PolicyVectorStore extends LangChainVectorStore {
  declare FilterType: ChunkFilter;
  private readonly vectors: VectorStore;
  private readonly lookup: (id: string) => Chunk | undefined;
  // Documents added through LangChain (not part of the corpus), by id.
  private readonly added = new Map<string, DocumentInterface>();

  constructor(embedder: Embedder, args: PolicyVectorStoreArgs) {
    super(new EmbedderEmbeddings(embedder), {});
    this.vectors = args.vectors;
    this.lookup = args.lookup;
  }

  override _vectorstoreType(): string {
    return 'policy-assistant';
  }

  private documentOf(id: string): DocumentInterface | undefined {
    const added = this.added.get(id);
    if (added) return added;
    const chunk = this.lookup(id);
    return chunk && chunkDocument(chunk);
  }

  override async addVectors(vectors: number[][], documents: DocumentInterface[], options?: { ids?: string[] }): Promise<string[]> {
    if (vectors.length !== documents.length) throw new RangeError(`${vectors.length} vectors for ${documents.length} documents`);
    const ids = documents.map((d, i) => options?.ids?.[i] ?? d.id ?? crypto.randomUUID());
    await this.vectors.add(ids.map((id, i) => ({ id, vector: Float32Array.from(vectors[i]!) })));
    documents.forEach((d, i) => this.added.set(ids[i]!, new Document({ ...d, id: ids[i] })));
    return ids;
  }

  /** Embeds pageContent as a passage (no query instruction) and adds it. */
  override async addDocuments(documents: DocumentInterface[], options?: { ids?: string[] }): Promise<string[]> {
    const vectors = await this.embeddings.embedDocuments(documents.map((d) => d.pageContent));
    return this.addVectors(vectors, documents, options);
  }

  override async similaritySearchVectorWithScore(query: number[], k: number, filter?: ChunkFilter): Promise<[DocumentInterface, number][]> {
    const keep = filter && ((id: string) => {
      const doc = this.documentOf(id);
      return doc !== undefined && filter(doc.metadata);
    });
    const hits = await this.vectors.search(Float32Array.from(query), k, keep);
    return hits.flatMap((h): [DocumentInterface, number][] => {
      const doc = this.documentOf(h.id);
      return doc ? [[doc, h.score]] : [];
    });
  }
}
