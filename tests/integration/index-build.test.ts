// openIndex end to end on a small real corpus (2 files, ~90 chunks): real model, real hnswlib.

import { clauseSentences } from '../../src/index/sentences.ts';
import { spawn } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DocumentInterface } from '@langchain/core/documents';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { currentGeneration } from '../../src/index/atomic.ts';
import { loadIndex, openIndex, passageText, type OpenedIndex, type OpenIndexOptions } from '../../src/index/build.ts';
import { TransformersEmbedder } from '../../src/index/embedder/index.ts';
import { IndexCorruptError, IndexModelMismatchError } from '../../src/index/errors.ts';
import { serializeManifest } from '../../src/index/manifest.ts';
import { PolicyVectorStore } from '../../src/index/langchain-store.ts';
import type { Embedder, VectorStore } from '../../src/index/ports.ts';

const projectRoot = resolve(fileURLToPath(import.meta.url), '../../..');
const modelDir = resolve(projectRoot, '../shared/models');
const SERVICES = 'services-opening-pilot-work-plan.txt';
const FTZ = 'beijing-ftz-regulations.txt';
const QUERIES = ['强化金融管理中心功能', '境外投资综合服务', '文化中心建设 国际影响力', '自贸试验区 跨境数据流动', '营商环境 国际规则'];

let tmp: string;
let corpusDir: string;
let indexDir: string;
let real: TransformersEmbedder;
let queryVectors: Float32Array[];
/** Every passage text handed to the model, in order. */
const embeddedTexts: string[] = [];
// Chunk passages carry their title line (passageText); sentences never hold a line break.
const embeddedPassages = () => embeddedTexts.filter((t) => t.includes('\n'));
let embedder: Embedder;

const open = (extra: Partial<OpenIndexOptions> = {}) => openIndex({ corpusDir, indexDir, embedder, quiet: true, ...extra });
const topIds = async (vectors: VectorStore, k = 5) => Promise.all(queryVectors.map(async (q) => (await vectors.search(q, k)).map((h) => h.id)));
const generationDir = async () => (await currentGeneration(indexDir))!;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'index-build-'));
  corpusDir = join(tmp, 'corpus');
  indexDir = join(tmp, 'embeddings');
  await mkdir(corpusDir);
  for (const f of [FTZ, SERVICES, 'manifest.json']) await copyFile(join(projectRoot, 'corpus', f), join(corpusDir, f));
  real = await TransformersEmbedder.create({ modelDir, hub: false, npm: false, quiet: true });
  // Counts what reaches the real model; everything else passes straight through.
  embedder = {
    modelId: real.modelId,
    modelSha256: real.modelSha256,
    dims: real.dims,
    embedQueries: (texts) => real.embedQueries(texts),
    embedPassages: (texts, onProgress) => {
      embeddedTexts.push(...texts);
      return real.embedPassages(texts, onProgress);
    },
  };
  queryVectors = await real.embedQueries(QUERIES);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('openIndex', () => {
  let first: OpenedIndex;
  let reference: string[][];

  it('builds the index on first open (mode full) into a committed generation', async () => {
    first = await open();
    expect(first.stats.mode).toBe('full');
    expect(first.chunks.length).toBeGreaterThan(80);
    expect(first.stats.embedded).toBe(first.chunks.length);
    expect(embeddedPassages()).toEqual(first.chunks.map(passageText));
    expect(embeddedTexts.length - embeddedPassages().length).toBe(new Set(first.clauses.flatMap(clauseSentences).map((r) => r.text)).size);
    expect(first.vectors.size).toBe(first.chunks.length);
    expect(Object.keys(first.manifest.files).sort()).toEqual([FTZ, 'manifest.json', SERVICES]);
    expect(Object.keys(first.manifest.documents)).toHaveLength(first.documents.length);

    const entries = await readdir(indexDir);
    expect(entries.sort()).toEqual(['CURRENT', expect.stringMatching(/^gen-\d+-/)]);
    expect((await readdir(first.dir)).sort()).toEqual(['lexical.json', 'manifest.json', 'sentences.f32', 'sentences.json', 'store.json', 'vectors.f32', 'vectors.hnsw', 'vectors.ids.json']);
    // Every file but the manifest carries a checksum in it; the manifest carries its own.
    expect(Object.keys(first.manifest.artifacts).sort()).toEqual(['lexical.json', 'sentences.f32', 'sentences.json', 'store.json', 'vectors.f32', 'vectors.hnsw', 'vectors.ids.json']);
    expect(first.manifest.checksum).toMatch(/^[0-9a-f]{64}$/);
    reference = await topIds(first.vectors);
  });

  it('loads the second time without parsing or embedding', async () => {
    embeddedTexts.length = 0;
    const again = await open();
    expect(again.stats).toMatchObject({ mode: 'loaded', embedded: 0, removed: 0 });
    console.log(`load of ${again.chunks.length} chunks: ${again.stats.ms.toFixed(0)} ms`);
    expect(embeddedTexts).toHaveLength(0);
    expect(again.manifest.builtAt).toBe(first.manifest.builtAt);
    // The store gives back exactly what ingestion produced.
    expect(again.documents).toEqual(first.documents);
    expect(again.clauses).toEqual(first.clauses);
    expect(again.chunks).toEqual(first.chunks);
    const doc = again.documents.find((d) => d.source.file === SERVICES)!;
    expect(again.store.documentText(doc.id)).toContain('强化金融管理中心功能');
    const clause = again.store.clausesOf(doc.id)[3]!;
    expect(again.store.fileCleanText(SERVICES)!.slice(clause.start, clause.end)).toContain(clause.text.slice(0, 20));
    expect(await topIds(again.vectors)).toEqual(reference);
  });

  it('detects corrupt or partial index files with IndexCorruptError', async () => {
    const damage: Record<string, (gen: string) => Promise<void>> = {
      'truncated vectors': async (gen) => truncate(join(gen, 'vectors.hnsw'), 5000),
      'bad store JSON': async (gen) => writeFile(join(gen, 'store.json'), '{"files": ['),
      'missing id map': async (gen) => rm(join(gen, 'vectors.ids.json')),
      'bad manifest JSON': async (gen) => writeFile(join(gen, 'manifest.json'), ''),
      'manifest naming a missing chunk': async (gen) => {
        const m = JSON.parse(await readFile(join(gen, 'manifest.json'), 'utf8'));
        (Object.values(m.documents)[0] as { chunkIds: string[] }).chunkIds.push('no-such-chunk');
        await writeFile(join(gen, 'manifest.json'), JSON.stringify(m));
      },
      'CURRENT naming a missing generation': async (gen) => rm(gen, { recursive: true }),
    };
    for (const [what, apply] of Object.entries(damage)) {
      const copy = join(tmp, `corrupt-${what.replace(/\W+/g, '-')}`);
      await cp(indexDir, copy, { recursive: true });
      const gen = join(copy, (await readFile(join(copy, 'CURRENT'), 'utf8')).trim());
      await apply(gen);
      const err = await loadIndex(copy).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, what).toBeInstanceOf(IndexCorruptError);
      expect((err as Error).message, what).toMatch(/corrupt or incomplete: .*--rebuild/);
    }
  });

  it('repairs a truncated graph from the stored vectors without the model, or serves the intact parts', async () => {
    await truncate(join(await generationDir(), 'vectors.hnsw'), 10_000);
    const served = await open({ onDamage: 'serve' });
    expect(served.condition).toMatchObject({ state: 'degraded', serving: { dense: false, lexical: true, sentences: true } });
    expect(served.condition.problems.join()).toMatch(/vectors\.hnsw is damaged/);
    expect(served.lexical.search('跨境数据流动', 3)).toHaveLength(3);

    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const before = embeddedTexts.length;
    let repaired: OpenedIndex;
    let lines: string[];
    try {
      repaired = await open({ quiet: false });
    } finally {
      lines = stderr.mock.calls.map(([line]) => String(line));
      stderr.mockRestore();
    }
    expect(repaired.stats).toMatchObject({ mode: 'repaired', embedded: 0 });
    expect(embeddedTexts.length).toBe(before);
    expect(lines.some((line) => /vectors\.hnsw is damaged.*repairing/.test(line)), lines.join('')).toBe(true);
    expect(await topIds(repaired.vectors)).toEqual(reference);
    expect((await open()).stats.mode).toBe('loaded');
  });

  it('refuses an index built with another model (IndexModelMismatchError), writing nothing', async () => {
    const file = join(await generationDir(), 'manifest.json');
    const original = await readFile(file, 'utf8');
    const m = JSON.parse(original);
    m.model.sha256 = '0'.repeat(64);
    await writeFile(file, serializeManifest(m));
    const current = await readFile(join(indexDir, 'CURRENT'), 'utf8');
    const err = await open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IndexModelMismatchError);
    expect((err as Error).message).toMatch(/policy-assistant index --rebuild/);
    expect(await readFile(join(indexDir, 'CURRENT'), 'utf8')).toBe(current);
    await writeFile(file, original);
  });

  describe('a build killed with SIGKILL', () => {
    const childScript = () => `
      import { readFile, writeFile } from 'node:fs/promises';
      import { openIndex } from ${JSON.stringify(pathToFileURL(join(projectRoot, 'src/index/build.ts')).href)};
      import { TransformersEmbedder } from ${JSON.stringify(pathToFileURL(join(projectRoot, 'src/index/embedder/index.ts')).href)};
      const [corpusDir, indexDir, modelDir, mode] = process.argv.slice(2);
      const embedder = await TransformersEmbedder.create({ modelDir, hub: false, npm: false, quiet: true });
      if (mode === 'embed') {
        await openIndex({ corpusDir, indexDir, embedder, rebuild: true, quiet: true,
          onProgress: (done) => { if (done === 5) process.stdout.write('EMBEDDING\\n'); } });
      } else {
        // Rewrites the whole index over and over without embedding: the corpus manifest's bytes
        // change (trailing space), its meaning does not, so every vector is reused.
        const file = corpusDir + '/manifest.json';
        const base = await readFile(file, 'utf8');
        process.stdout.write('LOOPING\\n');
        for (let i = 1; ; i++) {
          await writeFile(file, base + ' '.repeat(i % 2));
          await openIndex({ corpusDir, indexDir, embedder, quiet: true });
        }
      }
    `;

    /** Runs the child until it prints `signal`, waits `delayMs`, then kills its whole process group. */
    async function killChild(mode: 'embed' | 'loop', signal: string, delayMs: number, childCorpus: string): Promise<void> {
      const script = join(tmp, 'child-build.mts');
      await writeFile(script, childScript());
      const child = spawn('npx', ['tsx', script, childCorpus, indexDir, modelDir, mode], {
        cwd: projectRoot,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      await new Promise<void>((done, fail) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          if (out.includes(signal)) {
            setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), delayMs);
            done();
          }
        });
        child.on('exit', (code) => fail(new Error(`child exited (${code}) before ${signal}: ${stderr}`)));
      });
      await new Promise((done) => (child.exitCode !== null || child.signalCode !== null ? done(null) : child.on('exit', done)));
    }

    it('while embedding leaves the previous index in place, loadable with the same results', async () => {
      const current = await readFile(join(indexDir, 'CURRENT'), 'utf8');
      await killChild('embed', 'EMBEDDING', 0, corpusDir);
      expect(await readFile(join(indexDir, 'CURRENT'), 'utf8')).toBe(current);
      const loaded = await loadIndex(indexDir, { id: real.modelId, sha256: real.modelSha256, dims: real.dims });
      expect(await topIds(loaded.vectors)).toEqual(reference);
      embeddedTexts.length = 0;
      expect((await open()).stats.mode).toBe('loaded');
      expect(embeddedTexts).toHaveLength(0);
    });

    it('at arbitrary points of rewriting the index leaves a complete index, and leftovers are cleaned', async () => {
      const childCorpus = join(tmp, 'child-corpus');
      await cp(corpusDir, childCorpus, { recursive: true });
      const leftovers: string[] = [];
      for (const delayMs of [30, 170, 420, 650, 900]) {
        await killChild('loop', 'LOOPING', delayMs, childCorpus);
        const current = await readFile(join(indexDir, 'CURRENT'), 'utf8');
        leftovers.push(...(await readdir(indexDir)).filter((e) => e !== 'CURRENT' && e !== current.trim()));
        const loaded = await loadIndex(indexDir);
        expect(await topIds(loaded.vectors), `killed after ${delayMs} ms`).toEqual(reference);
      }
      // Evidence that kills landed mid-write (timing dependent, so reported rather than asserted).
      console.log(`left behind by the kills: ${leftovers.join(', ') || 'nothing'}`);
      embeddedTexts.length = 0;
      const reopened = await open();
      expect(reopened.stats.embedded).toBe(0);
      expect(embeddedTexts).toHaveLength(0);
      expect(await topIds(reopened.vectors)).toEqual(reference);
      // A killed writer's write.lock may remain: the next writer takes it over (index-writer.test.ts).
      const entries = (await readdir(indexDir)).filter((e) => e !== 'write.lock');
      expect(entries.filter((e) => e !== 'CURRENT')).toEqual([entries.find((e) => e.startsWith('gen-'))]);
    });
  });

  it('re-embeds only the changed passages of an edited file, matching a full rebuild', async () => {
    const before = await open();
    const file = join(corpusDir, SERVICES);
    const text = await readFile(file, 'utf8');
    const edited = text.replace('强化金融管理中心功能，服务国家金融改革开放和风险防范。', '强化金融管理中心功能，服务国家金融改革开放和风险防范，支持外资银行设立分行。');
    expect(edited).not.toBe(text);
    // A change inside one paragraph of (九): only the piece holding it changes.
    const edited2 = edited.replace('打造一流营商环境', '打造国际一流营商环境');
    await writeFile(file, edited2);

    embeddedTexts.length = 0;
    const inc = await open();
    expect(inc.stats.mode).toBe('incremental');
    const oldPassages = new Set(before.chunks.map(passageText));
    const changed = inc.chunks.filter((c) => !oldPassages.has(passageText(c)));
    expect(changed.length).toBeGreaterThan(0);
    expect(embeddedPassages().sort()).toEqual(changed.map(passageText).sort());
    expect(inc.stats.embedded).toBe(changed.length);
    expect(inc.stats.reused).toBe(inc.chunks.length - changed.length);
    const servicesDoc = inc.documents.find((d) => d.source.file === SERVICES)!;
    expect(changed.every((c) => c.docId === servicesDoc.id)).toBe(true);
    expect(changed.length).toBeLessThan(inc.chunks.filter((c) => c.docId === servicesDoc.id).length);
    // The FTZ document's content hash is unchanged, the edited one's is not.
    const ftzDoc = inc.documents.find((d) => d.source.file === FTZ)!;
    expect(inc.manifest.documents[ftzDoc.id]!.contentHash).toBe(before.manifest.documents[ftzDoc.id]!.contentHash);
    expect(inc.manifest.documents[servicesDoc.id]!.contentHash).not.toBe(before.manifest.documents[servicesDoc.id]!.contentHash);

    const incremental = await topIds(inc.vectors, 10);
    embeddedTexts.length = 0;
    const full = await open({ rebuild: true });
    expect(full.stats.mode).toBe('full');
    expect(embeddedPassages()).toHaveLength(full.chunks.length);
    expect(await topIds(full.vectors, 10)).toEqual(incremental);
    for (const q of queryVectors) {
      const [a, b] = [await inc.vectors.search(q, 5), await full.vectors.search(q, 5)];
      a.forEach((h, i) => expect(h.score).toBeCloseTo(b[i]!.score, 5));
    }
  });

  it('drops the chunks of a deleted file without embedding anything', async () => {
    const before = await open();
    await rm(join(corpusDir, FTZ));
    embeddedTexts.length = 0;
    const after = await open();
    const ftzChunks = before.chunks.filter((c) => before.documents.find((d) => d.id === c.docId)!.source.file === FTZ).length;
    expect(after.stats).toMatchObject({ mode: 'incremental', embedded: 0, removed: ftzChunks });
    expect(after.vectors.size).toBe(before.chunks.length - ftzChunks);
    expect(embeddedTexts).toHaveLength(0);
    // Its vectors went with it: adding the file back embeds it again.
    await copyFile(join(projectRoot, 'corpus', FTZ), join(corpusDir, FTZ));
    expect((await open()).stats).toMatchObject({ mode: 'incremental', embedded: ftzChunks, removed: 0 });
  });
});

describe('PolicyVectorStore (LangChain)', () => {
  it('serves asRetriever().invoke() over the persisted index, with filters and added documents', async () => {
    const index = await loadIndex(indexDir);
    const store = new PolicyVectorStore(embedder, { vectors: index.vectors, lookup: (id) => index.store.chunkById.get(id) });
    expect(store._vectorstoreType()).toBe('policy-assistant');

    const docs = await store.asRetriever(3).invoke('金融管理中心功能和外资银行');
    expect(docs).toHaveLength(3);
    expect(docs[0]!.pageContent).toMatch(/金融管理中心/);
    expect(docs[0]!.metadata.label).toMatch(/^《全面推进北京市服务业扩大开放综合试点工作方案》/);
    expect(docs[0]!.pageContent).toBe(index.store.chunkById.get(docs[0]!.id!)!.text);

    const ftz = index.store.documents.find((d) => d.source.file === FTZ)!;
    const filtered = await store.asRetriever({ k: 4, filter: (m) => m.docId === ftz.id }).invoke('金融开放');
    expect(filtered).toHaveLength(4);
    expect(filtered.every((d) => d.metadata.docId === ftz.id)).toBe(true);

    const [id] = await store.addDocuments([{ pageContent: '游客进入公园应当爱护绿地花木，不得在非指定区域烧烤、露营。', metadata: { source: 'test' } }]);
    const [[hit, score]] = (await store.similaritySearchWithScore('公园里可以烧烤吗', 1)) as [[DocumentInterface, number]];
    expect(hit.id).toBe(id);
    expect(hit.metadata.source).toBe('test');
    expect(score).toBeGreaterThan(0.5);
  });
});
