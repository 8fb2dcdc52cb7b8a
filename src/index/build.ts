// Opens the persisted index, building or updating it when the corpus changed.
//
// Fast path: the corpus files hash to what the manifest recorded (and format, chunker and model
// match) -> load the generation as is, without parsing or embedding. Otherwise the corpus is
// ingested; chunks whose passage text is unchanged keep their vectors (read back from the old
// graph), the rest are embedded, and a fresh HNSW graph is built from kept + new vectors in corpus
// order (simpler than patching with markDelete, and leaves no tombstones behind). The new
// generation is committed atomically (see atomic.ts), so a crash never damages the previous one.

import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { CHUNKER_VERSION, type Chunk } from '../chunk/chunk.ts';
import { ingestCorpus, listCorpusFiles } from '../ingest/ingest.ts';
import { MANIFEST_FILE as CORPUS_MANIFEST_FILE } from '../ingest/manifest.ts';
import type { Clause, PolicyDocument } from '../parse/types.ts';
import { createProgress, logStatus } from '../util/progress.ts';
import { abortGeneration, beginGeneration, commitGeneration, currentGeneration, removeStale, writeFileDurable } from './atomic.ts';
import { IndexCorruptError, IndexError, IndexModelMismatchError, IndexNotFoundError, IndexVersionError, IndexWriteError } from './errors.ts';
import {
  documentContentHash,
  hashFiles,
  INDEX_FORMAT_VERSION,
  MANIFEST_FILE,
  readManifest,
  sameFiles,
  sameModel,
  sha256,
  type IndexManifest,
  type ModelInfo,
} from './manifest.ts';
import type { Embedder } from './ports.ts';
import { CorpusStore } from '../ingest/store.ts';
import { clauseSentences, SENTENCE_ROWS_FILE, SENTENCE_VECTORS_FILE, SentenceIndex } from './sentences.ts';
import { HnswVectorStore, IDS_FILE, VECTORS_FILE } from './vector-store.ts';

export const STORE_FILE = 'store.json';
const ARTIFACTS = [STORE_FILE, VECTORS_FILE, IDS_FILE, SENTENCE_VECTORS_FILE, SENTENCE_ROWS_FILE];

/** The text embedded for a chunk: its document title and headings give the passage its context. */
export function passageText(chunk: Pick<Chunk, 'title' | 'headingPath' | 'text'>): string {
  return `${chunk.title} ${chunk.headingPath.join(' ')}\n${chunk.text}`;
}

export interface OpenIndexOptions {
  corpusDir: string;
  /** Root of the index (embeddings/); generations live inside it. */
  indexDir: string;
  embedder: Embedder;
  /** Ignore the index on disk and embed everything again. */
  rebuild?: boolean;
  /** On a corrupt index: rebuild from scratch (default) or, when false, throw IndexCorruptError. */
  repairCorrupt?: boolean;
  /** Embedding progress, in chunks. */
  onProgress?: (done: number, total: number) => void;
  quiet?: boolean;
}

export interface IndexStats {
  /** Chunks whose vectors were kept from the previous index. */
  reused: number;
  /** Chunks embedded by this open. */
  embedded: number;
  /** Chunks of the previous index that are gone. */
  removed: number;
  ms: number;
  mode: 'loaded' | 'incremental' | 'full';
}

export interface LoadedIndex {
  /** The generation directory the index was read from. */
  dir: string;
  manifest: IndexManifest;
  store: CorpusStore;
  vectors: HnswVectorStore;
  sentences: SentenceIndex;
}

export interface OpenedIndex extends LoadedIndex {
  documents: PolicyDocument[];
  clauses: Clause[];
  chunks: Chunk[];
  stats: IndexStats;
}

const modelOf = (embedder: Embedder): ModelInfo => ({ id: embedder.modelId, sha256: embedder.modelSha256, dims: embedder.dims });

/**
 * Loads the active generation, checking it fully: manifest shape, versions, model (when given),
 * artifact sizes and hashes, and that every chunk the manifest lists has its text and its vector.
 */
export async function loadIndex(indexDir: string, model?: ModelInfo): Promise<LoadedIndex> {
  const dir = await currentGeneration(indexDir);
  if (!dir) throw new IndexNotFoundError(indexDir);
  try {
    return await loadGeneration(indexDir, dir, model);
  } catch (err) {
    // Another process may have committed a new generation and deleted this one while we read it.
    const now = await currentGeneration(indexDir).catch(() => dir);
    if (!(err instanceof IndexCorruptError) || !now || now === dir) throw err;
    return loadGeneration(indexDir, now, model);
  }
}

async function loadGeneration(indexDir: string, dir: string, model?: ModelInfo): Promise<LoadedIndex> {
  const manifest = await readManifest(dir);
  if (manifest.formatVersion !== INDEX_FORMAT_VERSION || manifest.chunkerVersion !== CHUNKER_VERSION) {
    throw new IndexVersionError(
      `The index in ${indexDir} has format ${manifest.formatVersion} / chunker ${manifest.chunkerVersion}; ` +
        `this version needs ${INDEX_FORMAT_VERSION} / ${CHUNKER_VERSION}. Rebuild it with \`policy-assistant index --rebuild\`.`,
    );
  }
  if (model && !sameModel(manifest.model, model)) throw new IndexModelMismatchError(indexDir, manifest.model, model);
  for (const name of ARTIFACTS) {
    const expected = manifest.artifacts[name];
    const data = await readFile(path.join(dir, name)).catch(() => undefined);
    if (!expected || !data) throw new IndexCorruptError(dir, `${name} is missing`);
    if (data.length !== expected.bytes || sha256(data) !== expected.sha256) {
      throw new IndexCorruptError(dir, `${name} is damaged (${data.length} bytes, manifest says ${expected.bytes}, or its sha256 differs)`);
    }
  }
  const store = await loadStore(dir);
  const vectors = await HnswVectorStore.load(dir, manifest.model.dims);
  for (const [docId, doc] of Object.entries(manifest.documents)) {
    const missing = doc.chunkIds.find((id) => !store.chunkById.has(id) || !vectors.has(id));
    if (missing) throw new IndexCorruptError(dir, `document ${docId} lists chunk ${missing}, which has no text or no vector`);
  }
  if (vectors.size !== store.chunks.length) {
    throw new IndexCorruptError(dir, `${store.chunks.length} chunks but ${vectors.size} vectors`);
  }
  const sentences = await SentenceIndex.load(dir, manifest.model.dims, new Set(store.clauseById.keys()));
  return { dir, manifest, store, vectors, sentences };
}

/** Loads the index if it is current, else updates or builds it. See the header comment. */
export async function openIndex(opts: OpenIndexOptions): Promise<OpenedIndex> {
  const started = performance.now();
  const { corpusDir, indexDir, embedder } = opts;
  const log = (message: string) => logStatus(`index: ${message}`, { quiet: opts.quiet });
  const model = modelOf(embedder);

  const stale = await removeStale(indexDir);
  if (stale.length > 0) log(`removed ${stale.length} leftover(s) of interrupted builds: ${stale.join(', ')}`);

  const files = await hashFiles(corpusDir, await corpusInputs(corpusDir));
  let previous: LoadedIndex | undefined;
  if (opts.rebuild) {
    log('full rebuild requested');
  } else {
    try {
      previous = await loadIndex(indexDir, model);
    } catch (err) {
      if (err instanceof IndexNotFoundError) log(`no index in ${indexDir} yet; building it`);
      else if (err instanceof IndexVersionError) log('index format or chunker version changed; rebuilding from scratch');
      // A repair is news even to a quiet caller: say it once on stderr.
      else if (err instanceof IndexCorruptError && opts.repairCorrupt !== false) logStatus(`index: ${err.problem} (in ${err.indexDir}); rebuilding from scratch`, { quiet: false });
      else throw err;
    }
  }

  if (previous && sameFiles(previous.manifest.files, files)) {
    const ms = performance.now() - started;
    log(`loaded ${previous.store.chunks.length} chunks from ${previous.dir} in ${Math.round(ms)} ms (corpus unchanged)`);
    return withStats(previous, { reused: previous.store.chunks.length, embedded: 0, removed: 0, ms, mode: 'loaded' });
  }

  const corpus = await ingestCorpus(corpusDir);
  for (const e of corpus.errors) log(`skipped ${e.file}: ${e.message}`);
  // Said even to a quiet caller: a file the operator added is not indexed.
  for (const d of corpus.duplicates) logStatus(`index: ${d.message}`, { quiet: false });
  const store = CorpusStore.fromCorpus(corpus);
  // The load check (one vector per chunk id) would reject an index with a repeated id: never write one.
  const repeated = store.chunkById.size !== store.chunks.length ? store.chunks.find((c) => store.chunkById.get(c.id) !== c) : undefined;
  if (repeated) throw new IndexWriteError(`chunk id ${repeated.id} occurs twice in the corpus; the index was not written`);
  const documents: IndexManifest['documents'] = {};
  const chunkIdsOf = new Map<string, string[]>();
  for (const c of store.chunks) {
    if (!chunkIdsOf.has(c.docId)) chunkIdsOf.set(c.docId, []);
    chunkIdsOf.get(c.docId)!.push(c.id);
  }
  let changedDocs = 0;
  for (const doc of store.documents) {
    const contentHash = documentContentHash(doc, store.clausesOf(doc.id));
    documents[doc.id] = { file: doc.source.file, contentHash, chunkIds: chunkIdsOf.get(doc.id) ?? [] };
    if (previous?.manifest.documents[doc.id]?.contentHash !== contentHash) changedDocs++;
  }
  // A chunk keeps the old vector of any chunk with the same passage text: texts are embedded one
  // per model call (see transformers-embedder.ts), so a vector depends on its text alone. This
  // keeps every chunk of an unchanged document, and the untouched clauses of an edited one.
  const oldIdByPassage = new Map(previous?.store.chunks.map((c) => [passageText(c), c.id]));
  const reused = new Map<string, Float32Array>();
  for (const c of store.chunks) {
    const oldId = oldIdByPassage.get(passageText(c));
    const vector = oldId === undefined ? undefined : previous?.vectors.getVector(oldId);
    if (vector) reused.set(c.id, vector);
  }
  const toEmbed = store.chunks.filter((c) => !reused.has(c.id));
  const kept = new Set(store.chunks.map((c) => c.id));
  const removed = previous ? previous.store.chunks.filter((c) => !kept.has(c.id)).length : 0;
  if (previous) {
    const changed = Object.keys(files).filter((f) => previous.manifest.files[f]?.sha256 !== files[f]!.sha256);
    const gone = Object.keys(previous.manifest.files).filter((f) => !files[f]);
    log(`corpus changed (${[...changed, ...gone.map((f) => `-${f}`)].join(', ')}), ${changedDocs} of ${store.documents.length} documents changed: reusing ${reused.size} vectors, embedding ${toEmbed.length} chunks, dropping ${removed}`);
  } else {
    log(`embedding ${toEmbed.length} chunks of ${store.documents.length} documents`);
  }

  const fresh = await embedAll(embedder, toEmbed, opts);
  const vectors = HnswVectorStore.create(model.dims, { capacity: store.chunks.length });
  await vectors.add(store.chunks.map((c) => ({ id: c.id, vector: reused.get(c.id) ?? fresh.get(c.id)! })));
  const sentences = await embedSentences(embedder, store, previous, opts);

  const manifest: IndexManifest = {
    formatVersion: INDEX_FORMAT_VERSION,
    model,
    chunkerVersion: CHUNKER_VERSION,
    builtAt: new Date().toISOString(),
    files,
    documents,
    artifacts: {},
  };
  const dir = await writeGeneration(indexDir, manifest, store, vectors, sentences);
  const ms = performance.now() - started;
  const mode = previous ? 'incremental' : 'full';
  log(`${mode === 'full' ? 'built' : 'updated'} ${dir} (${store.chunks.length} chunks, ${sentences.size} sentences) in ${Math.round(ms)} ms`);
  return withStats({ dir, manifest, store, vectors, sentences }, { reused: reused.size, embedded: toEmbed.length, removed, ms, mode });
}

/** Corpus files plus the corpus manifest, whose metadata (titles) changes what is parsed. */
async function corpusInputs(corpusDir: string): Promise<string[]> {
  const names = await listCorpusFiles(corpusDir);
  const hasManifest = await access(path.join(corpusDir, CORPUS_MANIFEST_FILE)).then(
    () => true,
    () => false,
  );
  return hasManifest ? [...names, CORPUS_MANIFEST_FILE] : names;
}

async function embedAll(embedder: Embedder, chunks: Chunk[], opts: OpenIndexOptions): Promise<Map<string, Float32Array>> {
  if (chunks.length === 0) return new Map();
  const progress = createProgress('embedding', chunks.length, { quiet: opts.quiet });
  const vectors = await embedder.embedPassages(chunks.map(passageText), (done, total) => {
    progress.update(done);
    opts.onProgress?.(done, total);
  });
  progress.done(`${chunks.length} chunks`);
  return new Map(chunks.map((c, i) => [c.id, vectors[i]!]));
}

/**
 * Vectors of every clause sentence; as with chunks, a sentence whose text an old sentence had keeps
 * that vector, so an edit re-embeds only the sentences it touched.
 */
async function embedSentences(embedder: Embedder, store: CorpusStore, previous: LoadedIndex | undefined, opts: OpenIndexOptions): Promise<SentenceIndex> {
  const old = new Map<string, number>();
  if (previous)
    previous.sentences.rows.forEach((r, i) => {
      const clause = previous.store.clauseById.get(r.clauseId);
      if (clause) old.set(clause.text.slice(r.start, r.end), i);
    });
  const rows = store.clauses.flatMap(clauseSentences);
  const todo = [...new Set(rows.filter((r) => !old.has(r.text)).map((r) => r.text))];
  let fresh: Float32Array[] = [];
  if (todo.length) {
    const progress = createProgress('embedding sentences', todo.length, { quiet: opts.quiet });
    fresh = await embedder.embedPassages(todo, (done) => progress.update(done));
    progress.done(`${todo.length} sentences`);
  }
  const byText = new Map(todo.map((t, i) => [t, fresh[i]!]));
  const dims = embedder.dims;
  const matrix = new Float32Array(rows.length * dims);
  rows.forEach((r, i) => {
    const at = old.get(r.text);
    matrix.set(at === undefined ? byText.get(r.text)! : previous!.sentences.vector(at), i * dims);
  });
  return new SentenceIndex(rows.map(({ clauseId, start, end }) => ({ clauseId, start, end })), matrix, dims);
}

/** Writes a complete generation into a staging dir and commits it; the old one stays usable on failure. */
async function writeGeneration(indexDir: string, manifest: IndexManifest, store: CorpusStore, vectors: HnswVectorStore, sentences: SentenceIndex): Promise<string> {
  let staging: string | undefined;
  try {
    staging = await beginGeneration(indexDir);
    await writeFileDurable(path.join(staging, STORE_FILE), store.serialize());
    await vectors.save(staging);
    await sentences.save(staging);
    for (const name of ARTIFACTS) {
      const data = await readFile(path.join(staging, name));
      manifest.artifacts[name] = { bytes: data.length, sha256: sha256(data) };
    }
    await writeFileDurable(path.join(staging, MANIFEST_FILE), JSON.stringify(manifest, null, 1));
    return await commitGeneration(indexDir, staging);
  } catch (err) {
    if (staging) await abortGeneration(staging).catch(() => undefined);
    if (err instanceof IndexError) throw err;
    throw new IndexWriteError(`could not write the index to ${indexDir}: ${(err as Error).message}; the previous index is unchanged`, { cause: err });
  }
}

const withStats = (index: LoadedIndex, stats: IndexStats): OpenedIndex => ({
  ...index,
  documents: index.store.documents,
  clauses: index.store.clauses,
  chunks: index.store.chunks,
  stats,
});

/** store.json of a generation; a missing, unparsable or inconsistent store is corrupt. */
async function loadStore(dir: string): Promise<CorpusStore> {
  try {
    return CorpusStore.parse(await readFile(path.join(dir, STORE_FILE), 'utf8'));
  } catch (err) {
    throw new IndexCorruptError(dir, `${STORE_FILE} is unreadable: ${(err as Error).message}`, { cause: err });
  }
}
