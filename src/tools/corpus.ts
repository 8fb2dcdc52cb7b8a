import type { Chunk } from '../chunk/chunk.ts';
import type { Clause, PolicyDocument } from '../parse/types.ts';

/** Read access to the parsed corpus, with the lookups every tool needs. */
export class PolicyCorpus {
  readonly docById: Map<string, PolicyDocument>;
  readonly clauseById: Map<string, Clause>;
  readonly chunkById: Map<string, Chunk>;
  private readonly byDoc = new Map<string, Clause[]>();

  constructor(
    readonly documents: PolicyDocument[],
    readonly clauses: Clause[],
    readonly chunks: Chunk[],
    /** Clean text of each document, keyed by document id. */
    private readonly texts: Map<string, string>,
  ) {
    this.docById = new Map(documents.map((d) => [d.id, d]));
    this.clauseById = new Map(clauses.map((c) => [c.id, c]));
    this.chunkById = new Map(chunks.map((c) => [c.id, c]));
    for (const c of clauses) {
      const list = this.byDoc.get(c.docId) ?? [];
      list.push(c);
      this.byDoc.set(c.docId, list);
    }
  }

  clausesOf = (docId: string): Clause[] => this.byDoc.get(docId) ?? [];

  documentText(docId: string): string | undefined {
    return this.texts.get(docId);
  }
}
