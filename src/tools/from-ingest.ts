import type { Corpus } from '../ingest/ingest.ts';
import { PolicyCorpus } from './corpus.ts';

/** A PolicyCorpus straight from ingestion; a document's text runs from its first clause to its last. */
export function corpusFromIngest(c: Corpus): PolicyCorpus {
  const texts = new Map<string, string>();
  for (const f of c.files)
    for (const d of f.documents) {
      const own = f.clauses.filter((x) => x.docId === d.id);
      if (own.length) texts.set(d.id, f.text.slice(own[0]!.start, own[own.length - 1]!.end));
    }
  return new PolicyCorpus(c.documents, c.clauses, c.chunks, texts);
}
