// Document identity end to end: a corpus folder holding the same document twice (a copy of a seed
// under another name) and two different texts under one title. Real parser, real model, real index.

import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadIndex, openIndex } from '../../src/index/build.ts';
import { TransformersEmbedder } from '../../src/index/embedder/index.ts';
import { ingestCorpus } from '../../src/ingest/ingest.ts';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const SERVICES = 'services-opening-pilot-work-plan.txt';
const notice = (body: string) => ['北京市某某局关于某项工作的通知', '京某发〔2021〕9号', '各区：现将有关事项通知如下。', `一、${body}`, '二、请认真贯彻执行。', '北京市某某局', '2021年5月6日'].join('\n') + '\n';

let tmp: string;
let corpusDir: string;
let indexDir: string;
let embedder: TransformersEmbedder;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'identity-'));
  corpusDir = join(tmp, 'corpus');
  indexDir = join(tmp, 'embeddings');
  await mkdir(corpusDir);
  for (const f of [SERVICES, 'manifest.json']) await copyFile(join(root, 'corpus', f), join(corpusDir, f));
  // The same document under another name, and two near-duplicates that differ in one sentence.
  await copyFile(join(root, 'corpus', SERVICES), join(corpusDir, 'zz-copy-of-services.txt'));
  await writeFile(join(corpusDir, 'notice-a.txt'), notice('各单位于6月底前报送材料。'));
  await writeFile(join(corpusDir, 'notice-b.txt'), notice('各单位于9月底前报送材料。'));
  // A copy whose title is in its text: before, it took the same ids and overwrote the first's vectors.
  await writeFile(join(corpusDir, 'notice-c-copy-of-a.txt'), notice('各单位于6月底前报送材料。'));
  embedder = await TransformersEmbedder.create({ modelDir: resolve(root, '../shared/models'), hub: false, npm: false, quiet: true });
}, 120_000);
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('document identity', () => {
  it('reports the copy at ingest and keeps one; near-duplicates are two documents with different ids', async () => {
    const corpus = await ingestCorpus(corpusDir);
    const services = corpus.documents.find((d) => d.source.file === SERVICES)!;
    const a0 = corpus.documents.find((d) => d.source.file === 'notice-a.txt')!;
    expect(corpus.duplicates.map((d) => d.message)).toEqual([
      `notice-c-copy-of-a.txt: the same document as ${a0.id} in notice-a.txt (《北京市某某局关于某项工作的通知》); indexed once`,
      `zz-copy-of-services.txt: the same document as ${services.id} in ${SERVICES} (《zz-copy-of-services》); indexed once`,
    ]);
    expect(corpus.documents.filter((d) => d.source.file === 'zz-copy-of-services.txt')).toEqual([]);
    expect(corpus.files.find((f) => f.file === 'zz-copy-of-services.txt')!.unplaced[0]).toContain(`the same document as ${services.id} in ${SERVICES}`);
    const [a, b] = ['notice-a.txt', 'notice-b.txt'].map((f) => corpus.documents.find((d) => d.source.file === f)!);
    expect(a!.title).toBe(b!.title);
    expect(a!.id).not.toBe(b!.id);
    for (const ids of [corpus.documents.map((d) => d.id), corpus.clauses.map((c) => c.id), corpus.chunks.map((c) => c.id)]) expect(new Set(ids).size).toBe(ids.length);
    // Ids of the unchanged corpus stay what they were: the first text under a title keeps the title's id.
    expect(services.id).toBe('d466a5f020');
  });

  it('indexes the document once, and a second open loads the index without rebuilding', async () => {
    const first = await openIndex({ corpusDir, indexDir, embedder, quiet: true });
    expect(first.stats.mode).toBe('full');
    expect(first.documents.map((d) => d.source.file).sort()).toEqual(['notice-a.txt', 'notice-b.txt', SERVICES]);
    expect(first.vectors.size).toBe(first.chunks.length);
    expect(new Set(first.chunks.map((c) => c.id)).size).toBe(first.chunks.length);

    // Its own checks accept what was written, so the next start loads it as it is.
    await expect(loadIndex(indexDir)).resolves.toMatchObject({ dir: first.dir });
    const second = await openIndex({ corpusDir, indexDir, embedder, quiet: true });
    expect(second.stats).toMatchObject({ mode: 'loaded', embedded: 0 });
    expect(second.dir).toBe(first.dir);
    expect(second.chunks.map((c) => c.id)).toEqual(first.chunks.map((c) => c.id));
    const manifest = JSON.parse(await readFile(join(first.dir, 'manifest.json'), 'utf8')) as { documents: Record<string, unknown> };
    expect(Object.keys(manifest.documents)).toHaveLength(3);
  }, 240_000);
});
