import { config } from '../config.ts';
import { createProgress } from '../util/progress.ts';
import { ingestCorpus, listCorpusFiles, type Corpus } from '../ingest/ingest.ts';
import { CorpusStore } from '../ingest/store.ts';
import { looksLikeClauseId } from '../tools/clauses.ts';
import { tools } from '../tools/index.ts';
import { print, printJson, table } from './output.ts';

export async function ingestWithProgress(dir = config().corpusDir): Promise<Corpus> {
  const progress = createProgress('ingest', (await listCorpusFiles(dir)).length);
  const corpus = await ingestCorpus(dir, () => progress.tick());
  progress.done(`${corpus.documents.length} documents, ${corpus.clauses.length} clauses, ${corpus.chunks.length} chunks`);
  return corpus;
}

export async function ingestCommand(opts: { json?: boolean }): Promise<number> {
  const corpus = await ingestWithProgress();
  const perFile = corpus.files.map((f) => ({
    file: f.file,
    originalName: f.originalName,
    layout: f.layout,
    documents: f.documents.length,
    clauses: f.clauses.length,
    chunks: corpus.chunks.filter((c) => f.documents.some((d) => d.id === c.docId)).length,
    compilerParagraphs: f.compilerText.length,
    unplaced: f.unplaced,
  }));
  if (opts.json) {
    printJson({ files: perFile, errors: corpus.errors });
  } else {
    print(table([['file', 'documents', 'clauses', 'chunks', 'compiler text', 'layout'], ...perFile.map((f) => [f.file, f.documents, f.clauses, f.chunks, `${f.compilerParagraphs} paragraphs`, f.layout])]));
    for (const f of perFile) for (const u of f.unplaced) print(`warning: ${f.file}: ${u}`);
    for (const e of corpus.errors) print(`error: ${e.message}`);
    print(`total: ${corpus.documents.length} documents, ${corpus.clauses.length} clauses, ${corpus.chunks.length} chunks`);
  }
  return 0;
}

export async function documentsCommand(opts: { json?: boolean }): Promise<number> {
  // Lookups need only the corpus: no model, no index.
  const docs = tools({ corpus: CorpusStore.fromCorpus(await ingestWithProgress()) }).listDocuments();
  if (opts.json) printJson(docs);
  else print(table([['id', 'clauses', 'date', '文号', 'title'], ...docs.map((d) => [d.id, d.clauseCount, d.issueDate ?? '', d.docNumber ?? '', d.title])]));
  return 0;
}

export async function clauseCommand(target: string, opts: { json?: boolean }): Promise<number> {
  const t = tools({ corpus: CorpusStore.fromCorpus(await ingestWithProgress()) });
  const view = t.getClauseWithNeighbours(looksLikeClauseId(target) ? { id: target } : { reference: target });
  if (opts.json) printJson(view);
  else {
    const c = view.clause;
    print(c.label);
    print(c.text);
    print();
    const meta = [c.document.docNumber, c.document.issuer, c.document.issueDate].filter(Boolean).join(' · ');
    if (meta) print(meta);
    print(`id: ${c.id}`);
  }
  return 0;
}
