import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IndexCorruptError } from '../../../src/index/errors.ts';
import { HnswVectorStore, IDS_FILE, VECTORS_FILE } from '../../../src/index/vector-store.ts';

const DIMS = 512;
const N = 3000;

// Deterministic PRNG (mulberry32) so failures reproduce.
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(42);
const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
const unit = (v: Float32Array) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

// Clustered like real embeddings (topics), plus per-point noise so neighbours are not trivial.
const centres = Array.from({ length: 40 }, () => unit(Float32Array.from({ length: DIMS }, gauss)));
const point = () => {
  const c = centres[Math.floor(rand() * centres.length)]!;
  return unit(c.map((x) => x + 0.06 * gauss()));
};
const points = Array.from({ length: N }, (_, i) => ({ id: `c${i}`, vector: point() }));
const queries = Array.from({ length: 100 }, point);

const bruteForce = (q: Float32Array, k: number, keep: (id: string) => boolean = () => true) =>
  points
    .filter((p) => keep(p.id))
    .map((p) => ({ id: p.id, score: dot(q, p.vector) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k);

let store: HnswVectorStore;
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'vector-store-'));
  // Small initial capacity: the adds must grow the graph with resizeIndex.
  store = HnswVectorStore.create(DIMS, { capacity: 100 });
  for (let i = 0; i < N; i += 500) await store.add(points.slice(i, i + 500));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('HnswVectorStore', () => {
  it('holds every point after growing past its initial capacity', () => {
    expect(store.size).toBe(N);
    expect(store.ids()).toHaveLength(N);
  });

  it('has recall@10 >= 0.99 against brute force, with cosine scores', async () => {
    let found = 0;
    for (const q of queries) {
      const exact = bruteForce(q, 10);
      const hits = await store.search(q, 10);
      expect(hits).toHaveLength(10);
      const ids = new Set(hits.map((h) => h.id));
      found += exact.filter((e) => ids.has(e.id)).length;
      expect(hits[0]!.score).toBeCloseTo(exact[0]!.score, 4);
      for (let i = 1; i < hits.length; i++) expect(hits[i]!.score).toBeLessThanOrEqual(hits[i - 1]!.score + 1e-6);
    }
    const recall = found / (queries.length * 10);
    console.log(`recall@10 over ${queries.length} queries, ${N} points: ${recall.toFixed(4)}`);
    expect(recall).toBeGreaterThanOrEqual(0.99);
  });

  it('applies a filter inside the graph search', async () => {
    const even = (id: string) => Number(id.slice(1)) % 2 === 0;
    let found = 0;
    for (const q of queries.slice(0, 30)) {
      const hits = await store.search(q, 10, even);
      expect(hits.every((h) => even(h.id))).toBe(true);
      const ids = new Set(hits.map((h) => h.id));
      found += bruteForce(q, 10, even).filter((e) => ids.has(e.id)).length;
    }
    expect(found / 300).toBeGreaterThanOrEqual(0.99);
  });

  it('removes with markDelete, and re-adding an id restores it', async () => {
    const q = queries[0]!;
    const [top] = await store.search(q, 1);
    await store.remove([top!.id]);
    expect(store.has(top!.id)).toBe(false);
    expect(store.size).toBe(N - 1);
    expect((await store.search(q, 10)).map((h) => h.id)).not.toContain(top!.id);
    await store.add([{ id: top!.id, vector: points.find((p) => p.id === top!.id)!.vector }]);
    expect(store.size).toBe(N);
    expect((await store.search(q, 1))[0]!.id).toBe(top!.id);
  });

  it('clamps k to the number of live points', async () => {
    const small = HnswVectorStore.create(DIMS);
    await small.add(points.slice(0, 3));
    await small.remove(['c1']);
    expect((await small.search(queries[0]!, 10)).map((h) => h.id).sort()).toEqual(['c0', 'c2']);
    expect(await HnswVectorStore.create(DIMS).search(queries[0]!, 5)).toEqual([]);
  });

  it('round-trips through save/load, removals included', async () => {
    await store.remove(['c7']);
    await store.save(tmp);
    const loaded = await HnswVectorStore.load(tmp, DIMS);
    expect(loaded.size).toBe(store.size);
    expect(loaded.has('c7')).toBe(false);
    for (const q of queries.slice(0, 20)) expect(await loaded.search(q, 10)).toEqual(await store.search(q, 10));
    const v = loaded.getVector('c5')!;
    expect(dot(v, points[5]!.vector)).toBeCloseTo(1, 5);
  });

  it('refuses a truncated, missing or mismatched file with IndexCorruptError', async () => {
    const bytes = (await readFile(join(tmp, VECTORS_FILE))).length;
    await truncate(join(tmp, VECTORS_FILE), Math.floor(bytes / 2));
    await expect(HnswVectorStore.load(tmp, DIMS)).rejects.toBeInstanceOf(IndexCorruptError);
    await rm(join(tmp, VECTORS_FILE));
    await expect(HnswVectorStore.load(tmp, DIMS)).rejects.toThrow(/vectors\.hnsw is missing/);
    await store.save(tmp);
    await expect(HnswVectorStore.load(tmp, 384)).rejects.toBeInstanceOf(IndexCorruptError);
    await writeFile(join(tmp, IDS_FILE), '{"dims":512,"labels":[');
    await expect(HnswVectorStore.load(tmp, DIMS)).rejects.toThrow(/not valid JSON/);
  });
});
