// Opens the persisted index, building, updating or repairing it when needed.
//
// Fast path: the corpus files hash to what the manifest recorded (and format, chunker and model
// match) and every file of the generation matches its checksum -> load it as is. Otherwise, in the
// process holding the writer lock (lock.ts) only, a new generation is built: chunks whose passage
// text an intact old vector has keep it (from vectors.f32, else the old graph), the rest are
// embedded, and a fresh HNSW graph is built from kept + new vectors in corpus order. The new
// generation is committed atomically (see atomic.ts), so a crash never damages the previous one.
//
// Who writes (see README, Reliability):
//   - write 'load' (readers; reloads of a generation another process committed) never writes;
//   - write 'auto' (a writer starting) builds when there is no usable index, or when its corpus is
//     newer than the committed index (a file's or the folder's mtime after builtAt); a corpus that
//     differs but is older — another writer built CURRENT from a newer one — is served as committed
//     and reported, so two replicas with different corpora never rebuild each other's index;
//   - write 'build' (`policy-assistant index`, POST /admin/reindex, a repair) builds for its corpus.
// A process that cannot take the lock does not build: it serves what is committed, or waits for it.
//
// Damage (a file whose checksum differs, a store that does not parse…) never means a full re-embed
// by itself: the intact parts are salvaged (inspectGeneration) and reused by the repair. With
// onDamage 'serve', openIndex returns at once an index made of the intact parts (condition
// 'degraded': e.g. no dense arm while vectors are repaired) for the caller to serve while a writer
// repairs in the background; with 'repair' (CLI commands) it repairs before returning.

import { access, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { CHUNKER_VERSION, type Chunk } from '../chunk/chunk.ts';
import { ingestCorpus, listCorpusFiles, type Corpus } from '../ingest/ingest.ts';
import { MANIFEST_FILE as CORPUS_MANIFEST_FILE } from '../ingest/manifest.ts';
import type { Clause, PolicyDocument } from '../parse/types.ts';
import { createProgress, logStatus } from '../util/progress.ts';
import { abortGeneration, beginGeneration, commitGeneration, currentGeneration, removeStale, writeFileDurable } from './atomic.ts';
import { IndexCorruptError, IndexError, IndexModelMismatchError, IndexNotFoundError, IndexVersionError, IndexWriteError } from './errors.ts';
import { Bm25Index, buildChunkIndex, type Bm25Json } from './lexical/index.ts';
import { acquireWriterLock, IndexLockedError, lockHolder, type HeldLock } from './lock.ts';
import {
  documentContentHash,
  hashFiles,
  INDEX_FORMAT_VERSION,
  MANIFEST_FILE,
  readManifest,
  SALVAGEABLE_FORMAT_VERSIONS,
  sameFiles,
  sameModel,
  serializeManifest,
  sha256,
  type IndexManifest,
  type ModelInfo,
} from './manifest.ts';
import type { Embedder } from './ports.ts';
import { CorpusStore } from '../ingest/store.ts';
import { sharedFloat32 } from './scan-worker.ts';
import { clauseSentences, SENTENCE_ROWS_FILE, SENTENCE_VECTORS_FILE, SentenceIndex } from './sentences.ts';
import { HnswVectorStore, IDS_FILE, VECTORS_FILE } from './vector-store.ts';

export const STORE_FILE = 'store.json';
export const LEXICAL_FILE = 'lexical.json';
/** Every chunk vector, rows in manifest order: the graph can be rebuilt from it without the model. */
export const CHUNK_VECTORS_FILE = 'vectors.f32';
export const ARTIFACTS = [STORE_FILE, VECTORS_FILE, IDS_FILE, CHUNK_VECTORS_FILE, SENTENCE_VECTORS_FILE, SENTENCE_ROWS_FILE, LEXICAL_FILE];

/** The text embedded for a chunk: its document title and headings give the passage its context. */
export function passageText(chunk: Pick<Chunk, 'title' | 'headingPath' | 'text'>): string {
  return `${chunk.title} ${chunk.headingPath.join(' ')}\n${chunk.text}`;
}

export type WriteMode = 'auto' | 'build' | 'load';

export interface OpenIndexOptions {
  corpusDir: string;
  /** Root of the index (embeddings/); generations live inside it. */
  indexDir: string;
  embedder: Embedder;
  /** Ignore the index on disk and embed everything again (implies write 'build'). */
  rebuild?: boolean;
  /** Who may write; see the header comment. Default 'auto'. */
  write?: WriteMode;
  /** On damage: 'repair' before returning (default), or 'serve' the intact parts and let the caller repair. */
  onDamage?: 'repair' | 'serve';
  /** When another process holds the writer lock: wait for it (CLI `index`), or give up at once. */
  waitForLock?: boolean;
  /** Lock staleness bound (lock.ts). */
  lockStaleMs?: number;
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
  mode: 'loaded' | 'incremental' | 'full' | 'repaired' | 'degraded';
}

/** How the index being served relates to its files and to this process's corpus. */
export interface IndexCondition {
  /** ok: every file verified; degraded: answering from the intact parts until a writer repairs. */
  state: 'ok' | 'degraded';
  /** What was found damaged, one line each. */
  problems: string[];
  /** The parts answering: the dense arm, the lexical arm, sentence evidence. */
  serving: { dense: boolean; lexical: boolean; sentences: boolean };
  /** Whether this process's corpus is the one the served index was built from. */
  corpus: 'same' | 'differs';
  differences?: CorpusDifferences;
}

export interface CorpusDifferences {
  /** Corpus files whose bytes differ; "-name" gone here, "+name" only here. */
  files: string[];
  /** Documents (title) added here, missing here, or with other text. */
  documents: { added: string[]; removed: string[]; changed: string[] };
}

export interface LoadedIndex {
  /** The generation directory the index was read from. */
  dir: string;
  manifest: IndexManifest;
  store: CorpusStore;
  vectors: HnswVectorStore;
  sentences: SentenceIndex;
  lexical: Bm25Index;
}

export interface OpenedIndex extends LoadedIndex {
  documents: PolicyDocument[];
  clauses: Clause[];
  chunks: Chunk[];
  stats: IndexStats;
  condition: IndexCondition;
}

const modelOf = (embedder: Embedder): ModelInfo => ({ id: embedder.modelId, sha256: embedder.modelSha256, dims: embedder.dims });

/** Chunk ids in manifest order: the row order of vectors.f32. */
const manifestChunkIds = (m: IndexManifest): string[] => Object.values(m.documents).flatMap((d) => d.chunkIds);

/** What could be read intact from a generation; anything damaged is left out and named in problems. */
export interface Salvage {
  dir: string;
  manifest?: IndexManifest;
  store?: CorpusStore;
  /** The store was re-made from the corpus (store.json damaged, corpus unchanged). */
  storeFromCorpus?: boolean;
  graph?: HnswVectorStore;
  chunkVectors?: Map<string, Float32Array>;
  sentences?: SentenceIndex;
  lexical?: Bm25Index;
  problems: string[];
}

const isComplete = (s: Salvage): s is Salvage & Required<Pick<Salvage, 'manifest' | 'store' | 'graph' | 'sentences' | 'lexical'>> =>
  s.problems.length === 0 && !!(s.manifest && s.store && s.graph && s.sentences && s.lexical);

/**
 * Reads a generation part by part, each checked against its checksum and against the manifest.
 * Throws only when nothing may be reused: another model, or a format or chunker it cannot read.
 * `corpus` (this process's, when its files are the ones the manifest lists) replaces a damaged store.
 */
export async function inspectGeneration(
  dir: string,
  model: ModelInfo | undefined,
  corpus?: { files: IndexManifest['files']; ingest: () => Promise<Corpus> },
): Promise<Salvage> {
  const problems: string[] = [];
  let manifest: IndexManifest;
  try {
    manifest = await readManifest(dir);
  } catch (err) {
    if (!(err instanceof IndexCorruptError)) throw err;
    return { dir, problems: [err.problem] };
  }
  const legacy = SALVAGEABLE_FORMAT_VERSIONS.includes(manifest.formatVersion);
  if ((manifest.formatVersion !== INDEX_FORMAT_VERSION && !legacy) || manifest.chunkerVersion !== CHUNKER_VERSION) {
    throw new IndexVersionError(
      `The index in ${path.dirname(dir)} has format ${manifest.formatVersion} / chunker ${manifest.chunkerVersion}; ` +
        `this version needs ${INDEX_FORMAT_VERSION} / ${CHUNKER_VERSION}. Rebuild it with \`policy-assistant index --rebuild\`.`,
    );
  }
  if (model && !sameModel(manifest.model, model)) throw new IndexModelMismatchError(path.dirname(dir), manifest.model, model);
  const dims = manifest.model.dims;
  const intact = async (name: string): Promise<Buffer | undefined> => {
    const expected = manifest.artifacts[name];
    const data = await readFile(path.join(dir, name)).catch(() => undefined);
    if (!expected || !data) {
      problems.push(`${name} is missing`);
      return undefined;
    }
    if (data.length !== expected.bytes || sha256(data) !== expected.sha256) {
      problems.push(`${name} is damaged (${data.length} bytes, manifest says ${expected.bytes}, or its sha256 differs)`);
      return undefined;
    }
    return data;
  };
  const attempt = async <T>(fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof IndexCorruptError)) throw err;
      problems.push(err.problem);
      return undefined;
    }
  };
  const ids = manifestChunkIds(manifest);
  const idSet = new Set(ids);
  const sameChunks = (have: Iterable<string>, size: number) => size === ids.length && [...have].every((id) => idSet.has(id));

  let store: CorpusStore | undefined;
  let storeFromCorpus = false;
  if (await intact(STORE_FILE)) store = await attempt(() => loadStore(dir));
  if (store && !sameChunks(store.chunkById.keys(), store.chunks.length)) {
    problems.push(`${STORE_FILE} does not hold the chunks the manifest lists`);
    store = undefined;
  }
  if (!store && corpus && sameFiles(manifest.files, corpus.files)) {
    // The corpus is what the store was made from: when its files are unchanged, ingesting it again
    // gives the same store (ids are content hashes), with no model call.
    const again = CorpusStore.fromCorpus(await corpus.ingest());
    if (sameChunks(again.chunkById.keys(), again.chunks.length)) {
      store = again;
      storeFromCorpus = true;
    }
  }

  let graph: HnswVectorStore | undefined;
  if ((await intact(VECTORS_FILE)) && (await intact(IDS_FILE))) graph = await attempt(() => HnswVectorStore.load(dir, dims));
  if (graph && !sameChunks(graph.ids(), graph.size)) {
    problems.push(`${VECTORS_FILE} does not hold the chunks the manifest lists`);
    graph = undefined;
  }

  let chunkVectors: Map<string, Float32Array> | undefined;
  if (!legacy) {
    const raw = await intact(CHUNK_VECTORS_FILE);
    if (raw && raw.length === ids.length * dims * 4) {
      const all = new Float32Array(raw.length / 4);
      new Uint8Array(all.buffer).set(raw);
      chunkVectors = new Map(ids.map((id, i) => [id, all.subarray(i * dims, (i + 1) * dims)]));
    } else if (raw) problems.push(`${CHUNK_VECTORS_FILE} has the wrong size`);
  } else problems.push(`format ${manifest.formatVersion}: adding ${CHUNK_VECTORS_FILE}, ${LEXICAL_FILE} and the manifest checksum`);
  if (!chunkVectors && graph) chunkVectors = new Map(ids.map((id) => [id, graph.getVector(id)!]));

  let sentences: SentenceIndex | undefined;
  if (store && (await intact(SENTENCE_ROWS_FILE)) && (await intact(SENTENCE_VECTORS_FILE))) {
    sentences = await attempt(() => SentenceIndex.load(dir, dims, new Set(store.clauseById.keys())));
  }

  let lexical: Bm25Index | undefined;
  if (!legacy) {
    const raw = await intact(LEXICAL_FILE);
    if (raw && store) {
      try {
        lexical = Bm25Index.fromJSON(JSON.parse(raw.toString('utf8')) as Bm25Json);
      } catch (err) {
        problems.push(`${LEXICAL_FILE} does not parse (${(err as Error).message})`);
      }
      // An index of other (or no) chunks would silently turn keyword search off.
      if (lexical && lexical.size !== store.chunks.length) {
        problems.push(`${LEXICAL_FILE} indexes ${lexical.size} chunks, the store holds ${store.chunks.length}`);
        lexical = undefined;
      }
    }
  }
  return { dir, manifest, store, storeFromCorpus, graph, chunkVectors, sentences, lexical, problems };
}

/** Loads the active generation, every part verified; any damage is an IndexCorruptError. */
export async function loadIndex(indexDir: string, model?: ModelInfo): Promise<LoadedIndex> {
  const dir = await currentGeneration(indexDir);
  if (!dir) throw new IndexNotFoundError(indexDir);
  const load = async (d: string): Promise<LoadedIndex> => {
    const s = await inspectGeneration(d, model);
    if (!isComplete(s)) throw new IndexCorruptError(d, s.problems.join('; ') || 'incomplete');
    return { dir: d, manifest: s.manifest, store: s.store, vectors: s.graph, sentences: s.sentences, lexical: s.lexical };
  };
  try {
    return await load(dir);
  } catch (err) {
    // Another process may have committed a new generation and deleted this one while we read it.
    const now = await currentGeneration(indexDir).catch(() => dir);
    if (!(err instanceof IndexCorruptError) || !now || now === dir) throw err;
    return load(now);
  }
}

/** The newest mtime of the corpus folder and its inputs: a corpus edited after builtAt is newer. */
async function corpusMtime(corpusDir: string, names: string[]): Promise<number> {
  const times = await Promise.all([corpusDir, ...names.map((n) => path.join(corpusDir, n))].map((p) => stat(p).then((s) => s.mtimeMs, () => 0)));
  return Math.max(...times);
}

/** Which files and documents of this corpus differ from what the manifest was built from. */
function differences(manifest: IndexManifest, files: IndexManifest['files'], corpus: Corpus): CorpusDifferences {
  const changedFiles = [
    ...Object.keys(files).filter((f) => manifest.files[f] && manifest.files[f].sha256 !== files[f]!.sha256),
    ...Object.keys(files).filter((f) => !manifest.files[f]).map((f) => `+${f}`),
    ...Object.keys(manifest.files).filter((f) => !files[f]).map((f) => `-${f}`),
  ];
  const store = CorpusStore.fromCorpus(corpus);
  const here = new Map(store.documents.map((d) => [d.id, { title: d.title, hash: documentContentHash(d, store.clausesOf(d.id)) }]));
  const titleOf = (id: string, file: string) => `${id} (${file})`;
  const documents = {
    added: [...here].filter(([id]) => !manifest.documents[id]).map(([, d]) => d.title),
    removed: Object.entries(manifest.documents).filter(([id]) => !here.has(id)).map(([id, d]) => titleOf(id, d.file)),
    changed: [...here].filter(([id, d]) => manifest.documents[id] && manifest.documents[id].contentHash !== d.hash).map(([, d]) => d.title),
  };
  // Document ids hash the title and structure, so an edited document shows as one removed + one added.
  return { files: changedFiles, documents };
}

const POLL_MS = 250;

/** Opens the index for this process; see the header comment for who builds, repairs or waits. */
export async function openIndex(opts: OpenIndexOptions): Promise<OpenedIndex> {
  const started = performance.now();
  const { corpusDir, indexDir, embedder } = opts;
  const log = (message: string) => logStatus(`index: ${message}`, { quiet: opts.quiet });
  // News even to a quiet caller (damage, a corpus that differs, waiting on a writer): once, on stderr.
  const notice = (message: string) => logStatus(`index: ${message}`, { quiet: false });
  const model = modelOf(embedder);
  const write: WriteMode = opts.rebuild ? 'build' : (opts.write ?? 'auto');

  const names = await corpusInputs(corpusDir);
  const files = await hashFiles(corpusDir, names);
  let ingested: Corpus | undefined;
  const ingest = async () => (ingested ??= await ingestCorpus(corpusDir));

  if (write !== 'load') {
    // Leftovers of dead processes only: a live writer's staging dirs are left alone (atomic.ts).
    const stale = await removeStale(indexDir);
    if (stale.length > 0) log(`removed ${stale.length} leftover(s) of interrupted builds: ${stale.join(', ')}`);
  }
  let waitedSince: number | undefined;
  for (;;) {
    const cur = await currentGeneration(indexDir).catch((err: unknown) => {
      if (err instanceof IndexCorruptError) notice(`${err.problem}; treating the index as absent`);
      else throw err;
      return undefined;
    });
    let salvage: Salvage | undefined;
    if (cur && !opts.rebuild) {
      try {
        salvage = await inspectGeneration(cur, model, { files, ingest });
      } catch (err) {
        if (!(err instanceof IndexVersionError) || write === 'load') throw err;
        log('index format or chunker version changed; rebuilding from scratch');
      }
    }

    const build = async (reason: string, from: Salvage | undefined): Promise<OpenedIndex> => {
      const lock = await takeLock(opts, reason, notice);
      try {
        // Someone may have committed while we waited for the lock: build from that.
        const now = await currentGeneration(indexDir).catch(() => undefined);
        if (now && now !== cur && !opts.rebuild) from = await inspectGeneration(now, model).catch(() => from);
        return await buildGeneration(opts, files, await ingest(), from, started);
      } finally {
        await lock.release();
      }
    };

    if (!salvage) {
      if (write === 'build') return build(opts.rebuild ? 'full rebuild requested' : 'build', undefined);
      if (write === 'auto' && !(await lockHolder(indexDir, opts.lockStaleMs))) {
        if (!cur) log(`no index in ${indexDir} yet; building it`);
        try {
          return await build('first build', undefined);
        } catch (err) {
          if (!(err instanceof IndexLockedError)) throw err;
        }
      }
      // A reader, or a writer that lost the race: wait for the writer's commit.
      if (waitedSince === undefined) {
        waitedSince = Date.now();
        const holder = await lockHolder(indexDir, opts.lockStaleMs);
        notice(`no index in ${indexDir} yet; waiting for ${holder ? `the writer (pid ${holder.pid} on ${holder.hostname})` : 'a writer'} to commit one`);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
      continue;
    }

    const { manifest } = salvage;
    const same = manifest !== undefined && sameFiles(manifest.files, files);
    if (isComplete(salvage)) {
      if (same) {
        const ms = performance.now() - started;
        log(`loaded ${salvage.store.chunks.length} chunks from ${salvage.dir} in ${Math.round(ms)} ms (corpus unchanged)`);
        return opened(salvage, { reused: salvage.store.chunks.length, embedded: 0, removed: 0, ms, mode: 'loaded' }, okCondition());
      }
      if (write === 'build') return build('build', salvage);
      const newer = (await corpusMtime(corpusDir, names)) > Date.parse(salvage.manifest.builtAt);
      if (write === 'auto' && newer) {
        try {
          return await build('corpus changed', salvage);
        } catch (err) {
          if (!(err instanceof IndexLockedError)) throw err;
          notice(`${err.message}`);
        }
      }
      const diff = differences(salvage.manifest, files, await ingest());
      notice(
        `this corpus differs from the committed index ${path.basename(salvage.dir)} (files: ${diff.files.join(', ') || 'none'}; documents added ${diff.documents.added.length}, ` +
          `removed ${diff.documents.removed.length}, changed ${diff.documents.changed.length}); serving the index as committed` +
          (write === 'auto' && !newer ? ' (it is newer than this corpus; `policy-assistant index` builds for this one)' : ''),
      );
      const ms = performance.now() - started;
      return opened(salvage, { reused: salvage.store.chunks.length, embedded: 0, removed: 0, ms, mode: 'loaded' }, { ...okCondition(), corpus: 'differs', differences: diff });
    }

    // Damaged: repair now, or serve the intact parts and let the caller repair in the background.
    notice(`${salvage.problems.join('; ')} (in ${salvage.dir}); ${write === 'load' || opts.onDamage === 'serve' ? 'serving the intact parts' : 'repairing'}`);
    if (write !== 'load' && opts.onDamage !== 'serve') {
      try {
        return await build('repair', salvage);
      } catch (err) {
        if (!(err instanceof IndexLockedError)) throw err;
        // Another writer is on it: wait for its commit (or for its lock to go), then look again.
        notice(`${err.message}; waiting for it`);
        while (((await currentGeneration(indexDir).catch(() => cur)) ?? cur) === cur && (await lockHolder(indexDir, opts.lockStaleMs))) {
          await new Promise((r) => setTimeout(r, POLL_MS));
        }
        continue;
      }
    }
    return degraded(salvage, model, await ingest(), files, started);
  }
}

const okCondition = (): IndexCondition => ({ state: 'ok', problems: [], serving: { dense: true, lexical: true, sentences: true }, corpus: 'same' });

async function takeLock(opts: OpenIndexOptions, purpose: string, notice: (m: string) => void): Promise<HeldLock> {
  let told = false;
  for (;;) {
    try {
      return await acquireWriterLock(opts.indexDir, {
        purpose,
        staleMs: opts.lockStaleMs,
        onTakeover: (prev) => notice(`took over a stale writer lock${prev ? ` of pid ${prev.pid} on ${prev.hostname} (since ${prev.startedAt})` : ''}`),
      });
    } catch (err) {
      if (!(err instanceof IndexLockedError) || !opts.waitForLock) throw err;
      if (!told) notice(`waiting: ${err.message}`);
      told = true;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}

/** An index made of a damaged generation's intact parts: what is missing answers nothing. */
function degraded(salvage: Salvage, model: ModelInfo, corpus: Corpus, files: IndexManifest['files'], started: number): OpenedIndex {
  const store = salvage.store ?? CorpusStore.fromCorpus(corpus);
  const dims = salvage.manifest?.model.dims ?? model.dims;
  // Without any lexical index nothing would answer: BM25 is rebuilt in memory (about a second).
  const lexical = salvage.lexical ?? (salvage.graph ? buildChunkIndex([], []) : buildChunkIndex(store.documents, store.chunks));
  const manifest: IndexManifest = salvage.manifest ?? {
    formatVersion: INDEX_FORMAT_VERSION,
    model,
    chunkerVersion: CHUNKER_VERSION,
    builtAt: new Date(0).toISOString(),
    files,
    documents: {},
    artifacts: {},
  };
  const condition: IndexCondition = {
    state: 'degraded',
    problems: salvage.problems,
    serving: { dense: !!salvage.graph, lexical: lexical.size > 0, sentences: !!salvage.sentences },
    corpus: salvage.manifest && sameFiles(salvage.manifest.files, files) ? 'same' : 'differs',
  };
  const index: LoadedIndex = {
    dir: salvage.dir,
    manifest,
    store,
    vectors: salvage.graph ?? HnswVectorStore.create(dims, { capacity: 1 }),
    sentences: salvage.sentences ?? new SentenceIndex([], new Float32Array(0), dims),
    lexical,
  };
  return withStats(index, { reused: 0, embedded: 0, removed: 0, ms: performance.now() - started, mode: 'degraded' }, condition);
}

const opened = (s: Salvage & Required<Pick<Salvage, 'manifest' | 'store' | 'graph' | 'sentences' | 'lexical'>>, stats: IndexStats, condition: IndexCondition): OpenedIndex =>
  withStats({ dir: s.dir, manifest: s.manifest, store: s.store, vectors: s.graph, sentences: s.sentences, lexical: s.lexical }, stats, condition);

/** Builds and commits a generation for `corpus`, reusing whatever `from` holds intact. Call with the lock held. */
async function buildGeneration(opts: OpenIndexOptions, files: IndexManifest['files'], corpus: Corpus, from: Salvage | undefined, started: number): Promise<OpenedIndex> {
  const { indexDir, embedder } = opts;
  const log = (message: string) => logStatus(`index: ${message}`, { quiet: opts.quiet });
  const model = modelOf(embedder);
  for (const e of corpus.errors) log(`skipped ${e.file}: ${e.message}`);
  // Said even to a quiet caller: a file the operator added is not indexed.
  for (const d of corpus.duplicates) logStatus(`index: ${d.message}`, { quiet: false });
  const store = CorpusStore.fromCorpus(corpus);
  const previousManifest = from?.manifest;
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
    if (previousManifest?.documents[doc.id]?.contentHash !== contentHash) changedDocs++;
  }
  // A chunk keeps the intact old vector of any chunk with the same id or the same passage text:
  // texts are embedded one per model call (see transformers-embedder.ts), so a vector depends on its
  // text alone. This keeps every chunk of an unchanged document, and the untouched clauses of an
  // edited one; a repair embeds only what no intact file still holds.
  const old = from?.chunkVectors;
  const oldIdByPassage = new Map(from?.store?.chunks.map((c) => [passageText(c), c.id]));
  // Without the old store, ids alone are trusted only for the very corpus the old index was built
  // from (then every passage is the same); otherwise a vector follows its passage's text.
  const byId = !from?.store && !!previousManifest && sameFiles(previousManifest.files, files);
  const reused = new Map<string, Float32Array>();
  for (const c of store.chunks) {
    const oldId = byId ? c.id : oldIdByPassage.get(passageText(c));
    const vector = oldId === undefined ? undefined : old?.get(oldId);
    if (vector) reused.set(c.id, vector);
  }
  const toEmbed = store.chunks.filter((c) => !reused.has(c.id));
  const kept = new Set(store.chunks.map((c) => c.id));
  const removed = from?.store ? from.store.chunks.filter((c) => !kept.has(c.id)).length : 0;
  const repair = !!from && from.problems.length > 0;
  if (from) {
    const changed = previousManifest ? Object.keys(files).filter((f) => previousManifest.files[f]?.sha256 !== files[f]!.sha256) : [];
    const gone = previousManifest ? Object.keys(previousManifest.files).filter((f) => !files[f]) : [];
    log(
      `${repair ? 'repairing' : 'updating'}${changed.length + gone.length ? ` (corpus changed: ${[...changed, ...gone.map((f) => `-${f}`)].join(', ')})` : ''}, ${changedDocs} of ${store.documents.length} documents changed: ` +
        `reusing ${reused.size} vectors, embedding ${toEmbed.length} chunks, dropping ${removed}`,
    );
  } else {
    log(`embedding ${toEmbed.length} chunks of ${store.documents.length} documents`);
  }

  const fresh = await embedAll(embedder, toEmbed, opts);
  // The manifest's own order (object key order, as a reader will see it), for vectors.f32's rows.
  const ordered = Object.values(documents).flatMap((d) => d.chunkIds);
  const vectorOf = (id: string) => reused.get(id) ?? fresh.get(id)!;
  const vectors = HnswVectorStore.create(model.dims, { capacity: store.chunks.length });
  await vectors.add(ordered.map((id) => ({ id, vector: vectorOf(id) })));
  const chunkMatrix = new Float32Array(ordered.length * model.dims);
  ordered.forEach((id, i) => chunkMatrix.set(vectorOf(id), i * model.dims));
  const sentences = await embedSentences(embedder, store, from, opts);
  // BM25 depends on the chunks and the corpus-mined dictionary: reused only for the same corpus files.
  const sameCorpus = !!previousManifest && sameFiles(previousManifest.files, files);
  const lexical = sameCorpus && from?.lexical ? from.lexical : buildChunkIndex(store.documents, store.chunks);

  const manifest: IndexManifest = {
    formatVersion: INDEX_FORMAT_VERSION,
    model,
    chunkerVersion: CHUNKER_VERSION,
    builtAt: new Date().toISOString(),
    files,
    documents,
    artifacts: {},
  };
  const dir = await writeGeneration(indexDir, manifest, store, vectors, chunkMatrix, sentences, lexical);
  const ms = performance.now() - started;
  const mode: IndexStats['mode'] = repair ? 'repaired' : from ? 'incremental' : 'full';
  log(`${mode === 'full' ? 'built' : mode} ${dir} (${store.chunks.length} chunks, ${sentences.size} sentences) in ${Math.round(ms)} ms`);
  return withStats({ dir, manifest, store, vectors, sentences, lexical }, { reused: reused.size, embedded: toEmbed.length, removed, ms, mode }, okCondition());
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
async function embedSentences(embedder: Embedder, store: CorpusStore, previous: Salvage | undefined, opts: OpenIndexOptions): Promise<SentenceIndex> {
  const old = new Map<string, number>();
  const prevSentences = previous?.sentences;
  const prevStore = previous?.store;
  if (prevSentences && prevStore)
    prevSentences.rows.forEach((r, i) => {
      const clause = prevStore.clauseById.get(r.clauseId);
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
  const matrix = sharedFloat32(rows.length * dims);
  rows.forEach((r, i) => {
    const at = old.get(r.text);
    matrix.set(at === undefined ? byText.get(r.text)! : prevSentences!.vector(at), i * dims);
  });
  return new SentenceIndex(rows.map(({ clauseId, start, end }) => ({ clauseId, start, end })), matrix, dims);
}

/** Writes a complete generation into a staging dir and commits it; the old one stays usable on failure. */
async function writeGeneration(
  indexDir: string,
  manifest: IndexManifest,
  store: CorpusStore,
  vectors: HnswVectorStore,
  chunkMatrix: Float32Array,
  sentences: SentenceIndex,
  lexical: Bm25Index,
): Promise<string> {
  let staging: string | undefined;
  try {
    staging = await beginGeneration(indexDir);
    await writeFileDurable(path.join(staging, STORE_FILE), store.serialize());
    await vectors.save(staging);
    await sentences.save(staging);
    await writeFileDurable(path.join(staging, CHUNK_VECTORS_FILE), new Uint8Array(chunkMatrix.buffer, chunkMatrix.byteOffset, chunkMatrix.byteLength));
    await writeFileDurable(path.join(staging, LEXICAL_FILE), JSON.stringify(lexical.toJSON()));
    for (const name of ARTIFACTS) {
      const data = await readFile(path.join(staging, name));
      manifest.artifacts[name] = { bytes: data.length, sha256: sha256(data) };
    }
    await writeFileDurable(path.join(staging, MANIFEST_FILE), serializeManifest(manifest));
    return await commitGeneration(indexDir, staging);
  } catch (err) {
    if (staging) await abortGeneration(staging).catch(() => undefined);
    if (err instanceof IndexError) throw err;
    throw new IndexWriteError(`could not write the index to ${indexDir}: ${(err as Error).message}; the previous index is unchanged`, { cause: err });
  }
}

const withStats = (index: LoadedIndex, stats: IndexStats, condition: IndexCondition): OpenedIndex => ({
  ...index,
  condition,
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
