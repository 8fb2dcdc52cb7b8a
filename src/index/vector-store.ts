// VectorStore over hnswlib-node's HNSW graph (cosine space; vectors are unit-norm).

import hnswlib from 'hnswlib-node';
import { readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fsyncPath, writeFileAtomic } from './atomic.ts';
import { IndexCorruptError } from './errors.ts';
import type { VectorHit, VectorStore } from './ports.ts';

// A CommonJS native addon: Node's ESM loader exposes only its default export.
const { HierarchicalNSW } = hnswlib;
type HierarchicalNSW = hnswlib.HierarchicalNSW;

export const VECTORS_FILE = 'vectors.hnsw';
export const IDS_FILE = 'vectors.ids.json';

// M=16 / efConstruction=200 are hnswlib's recommended quality settings. At a few thousand points a
// search with ef=200 visits a large share of the graph, giving near-exact recall in well under 1 ms.
const M = 16;
const EF_CONSTRUCTION = 200;
const EF_SEARCH = 200;
const INITIAL_CAPACITY = 1024;
// Fixed, so a rebuild from the same vectors gives the same graph and the same results.
const RANDOM_SEED = 100;

interface IdsFile {
  dims: number;
  /** String id of each numeric label; null for a label never used. */
  labels: (string | null)[];
  /** Labels removed with markDelete (kept in the graph, never returned). */
  deleted: number[];
}

export interface HnswOptions {
  /** Points the graph is allocated for before its first resize. */
  capacity?: number;
  efSearch?: number;
}

export class HnswVectorStore implements VectorStore {
  private readonly labelOf = new Map<string, number>();
  private labels: (string | null)[] = [];
  private readonly deleted = new Set<number>();

  private constructor(
    private readonly index: HierarchicalNSW,
    readonly dims: number,
  ) {}

  static create(dims: number, opts: HnswOptions = {}): HnswVectorStore {
    const index = new HierarchicalNSW('cosine', dims);
    index.initIndex({ maxElements: Math.max(1, opts.capacity ?? INITIAL_CAPACITY), m: M, efConstruction: EF_CONSTRUCTION, randomSeed: RANDOM_SEED });
    index.setEf(opts.efSearch ?? EF_SEARCH);
    return new HnswVectorStore(index, dims);
  }

  /** Loads a store written by save(); any missing, truncated or inconsistent file is an IndexCorruptError. */
  static async load(dir: string, dims: number, opts: Pick<HnswOptions, 'efSearch'> = {}): Promise<HnswVectorStore> {
    const corrupt = (problem: string, cause?: unknown) => new IndexCorruptError(dir, problem, { cause });
    let ids: IdsFile;
    try {
      ids = JSON.parse(await readFile(path.join(dir, IDS_FILE), 'utf8')) as IdsFile;
    } catch (err) {
      throw corrupt(`${IDS_FILE} is missing or not valid JSON (${(err as Error).message})`, err);
    }
    if (!ids || !Array.isArray(ids.labels) || !Array.isArray(ids.deleted) || ids.dims !== dims) {
      throw corrupt(`${IDS_FILE} does not describe a ${dims}-dim store`);
    }
    const file = path.join(dir, VECTORS_FILE);
    const index = new HierarchicalNSW('cosine', dims);
    try {
      // readIndex walks every link list and checks the file length, so truncation is caught here.
      index.readIndexSync(file);
    } catch (err) {
      throw corrupt(`${VECTORS_FILE} is missing or unreadable (${(err as Error).message})`, err);
    }
    const count = index.getCurrentCount();
    if (index.getNumDimensions() !== dims || count !== ids.labels.length) {
      throw corrupt(`${VECTORS_FILE} holds ${count} points of ${index.getNumDimensions()} dims, ${IDS_FILE} lists ${ids.labels.length} of ${dims}`);
    }
    index.setEf(opts.efSearch ?? EF_SEARCH);
    const store = new HnswVectorStore(index, dims);
    store.labels = ids.labels;
    ids.labels.forEach((id, label) => {
      if (id !== null) store.labelOf.set(id, label);
    });
    for (const label of ids.deleted) store.deleted.add(label);
    return store;
  }

  /** Live (not removed) points. */
  get size(): number {
    return this.labelOf.size - this.deleted.size;
  }

  has(id: string): boolean {
    const label = this.labelOf.get(id);
    return label !== undefined && !this.deleted.has(label);
  }

  ids(): string[] {
    return [...this.labelOf].filter(([, label]) => !this.deleted.has(label)).map(([id]) => id);
  }

  /** The stored (normalised) vector of a live id. */
  getVector(id: string): Float32Array | undefined {
    const label = this.labelOf.get(id);
    if (label === undefined || this.deleted.has(label)) return undefined;
    return Float32Array.from(this.index.getPoint(label));
  }

  /** Adds points; an id already present (or removed earlier) gets the new vector under its old label. */
  async add(items: { id: string; vector: Float32Array }[]): Promise<void> {
    for (const { vector } of items) {
      if (vector.length !== this.dims) throw new RangeError(`vector has ${vector.length} dims, the store ${this.dims}`);
    }
    const fresh = new Set(items.filter((it) => !this.labelOf.has(it.id)).map((it) => it.id)).size;
    const needed = this.index.getCurrentCount() + fresh;
    if (needed > this.index.getMaxElements()) this.index.resizeIndex(Math.max(needed, this.index.getMaxElements() * 2));
    for (const { id, vector } of items) {
      let label = this.labelOf.get(id);
      if (label === undefined) {
        label = this.labels.length;
        this.labels.push(id);
        this.labelOf.set(id, label);
      }
      // hnswlib updates an existing label in place and clears its deleted mark.
      this.index.addPoint(Array.from(vector), label);
      this.deleted.delete(label);
    }
  }

  async remove(ids: string[]): Promise<void> {
    for (const id of ids) {
      const label = this.labelOf.get(id);
      if (label === undefined || this.deleted.has(label)) continue;
      this.index.markDelete(label);
      this.deleted.add(label);
    }
  }

  /** Top k by cosine similarity (score = 1 - cosine distance), best first. */
  async search(vector: Float32Array, k: number, filter?: (id: string) => boolean): Promise<VectorHit[]> {
    if (vector.length !== this.dims) throw new RangeError(`query has ${vector.length} dims, the store ${this.dims}`);
    const n = Math.min(Math.floor(k), this.size);
    if (n <= 0) return [];
    const labels = this.labels;
    const result = filter
      ? this.index.searchKnn(Array.from(vector), n, (label) => filter(labels[label]!))
      : this.index.searchKnn(Array.from(vector), n);
    return result.neighbors.map((label, i) => ({ id: labels[label]!, score: 1 - result.distances[i]! }));
  }

  /** Writes vectors.hnsw and vectors.ids.json into dir, each atomically. */
  async save(dir: string): Promise<void> {
    const file = path.join(dir, VECTORS_FILE);
    const tmp = `${file}.tmp-${process.pid}`;
    try {
      this.index.writeIndexSync(tmp);
      await fsyncPath(tmp);
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    const ids: IdsFile = { dims: this.dims, labels: this.labels, deleted: [...this.deleted] };
    await writeFileAtomic(path.join(dir, IDS_FILE), JSON.stringify(ids));
  }
}

