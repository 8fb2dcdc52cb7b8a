// The corpus store (serialized as store.json in each index generation): everything the server needs from ingestion, so it
// can start without re-parsing. Each file's clean text is kept once (clause offsets point into
// it); source offset maps are not kept. Chunks are stored as references into their clause and
// rebuilt on load, since their text, title and headings are copies of clause and document fields.

import type { Chunk } from '../chunk/chunk.ts';
import type { Clause, PolicyDocument } from '../parse/types.ts';
import type { Corpus, Duplicate } from './ingest.ts';

export interface StoredFile {
  file: string;
  originalName: string;
  encoding: string;
  layout: string;
  /** Clean text of the whole file; Clause.start/end index into it. */
  text: string;
}

type StoredChunk = Pick<Chunk, 'id' | 'clauseId' | 'label' | 'start' | 'end'>;

interface StoreJson {
  files: StoredFile[];
  documents: PolicyDocument[];
  clauses: Clause[];
  chunks: StoredChunk[];
  errors: { file: string; message: string }[];
  /** Absent in stores written before duplicates were kept. */
  duplicates?: Duplicate[];
}

export class CorpusStore {
  readonly documentById: ReadonlyMap<string, PolicyDocument>;
  readonly clauseById: ReadonlyMap<string, Clause>;
  readonly chunkById: ReadonlyMap<string, Chunk>;
  private readonly fileText: ReadonlyMap<string, string>;
  private readonly clausesByDoc = new Map<string, Clause[]>();

  constructor(
    readonly files: StoredFile[],
    readonly documents: PolicyDocument[],
    readonly clauses: Clause[],
    readonly chunks: Chunk[],
    readonly errors: { file: string; message: string }[],
    /** Documents left out as copies of others, kept so a loaded index can still report them. */
    readonly duplicates: Duplicate[] = [],
  ) {
    this.documentById = new Map(documents.map((d) => [d.id, d]));
    this.clauseById = new Map(clauses.map((c) => [c.id, c]));
    this.chunkById = new Map(chunks.map((c) => [c.id, c]));
    this.fileText = new Map(files.map((f) => [f.file, f.text]));
    for (const c of clauses) {
      const list = this.clausesByDoc.get(c.docId) ?? [];
      list.push(c);
      this.clausesByDoc.set(c.docId, list);
    }
  }

  static fromCorpus(corpus: Corpus): CorpusStore {
    const files = corpus.files.map(({ file, originalName, encoding, layout, text }) => ({ file, originalName, encoding, layout, text }));
    return new CorpusStore(files, corpus.documents, corpus.clauses, corpus.chunks, corpus.errors, corpus.duplicates);
  }

  /** Clauses of a document in reading order. */
  clausesOf(docId: string): Clause[] {
    return this.clausesByDoc.get(docId) ?? [];
  }

  /** Clean text of a document's body, from its first clause to its last. */
  documentText(docId: string): string | undefined {
    const doc = this.documentById.get(docId);
    const clauses = this.clausesOf(docId);
    const text = doc && this.fileText.get(doc.source.file);
    if (text === undefined || clauses.length === 0) return undefined;
    return text.slice(clauses[0]!.start, clauses[clauses.length - 1]!.end);
  }

  /** Clean text of a whole corpus file. */
  fileCleanText(file: string): string | undefined {
    return this.fileText.get(file);
  }

  serialize(): string {
    const json: StoreJson = {
      files: this.files,
      documents: this.documents,
      clauses: this.clauses,
      chunks: this.chunks.map(({ id, clauseId, label, start, end }) => ({ id, clauseId, label, start, end })),
      errors: this.errors,
      duplicates: this.duplicates,
    };
    return JSON.stringify(json);
  }

  /** The store from its serialized form; throws a plain Error naming what is wrong (the index calls it corrupt). */
  static parse(raw: string): CorpusStore {
    const json = JSON.parse(raw) as StoreJson;
    const arrays = json && [json.files, json.documents, json.clauses, json.chunks, json.errors];
    if (!arrays || !arrays.every(Array.isArray)) throw new Error('it does not have the expected fields');
    const docs = new Map(json.documents.map((d) => [d.id, d]));
    const clauses = new Map(json.clauses.map((c) => [c.id, c]));
    const chunks = json.chunks.map((s): Chunk => {
      const clause = clauses.get(s.clauseId);
      const doc = clause && docs.get(clause.docId);
      if (!clause || !doc) throw new Error(`chunk ${s.id} refers to a missing clause or document`);
      return {
        id: s.id,
        clauseId: s.clauseId,
        docId: clause.docId,
        label: s.label,
        title: doc.title,
        headingPath: clause.headingPath,
        text: clause.text.slice(s.start, s.end),
        start: s.start,
        end: s.end,
      };
    });
    return new CorpusStore(json.files, json.documents, json.clauses, chunks, json.errors, Array.isArray(json.duplicates) ? json.duplicates : []);
  }
}
