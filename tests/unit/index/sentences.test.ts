import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IndexCorruptError } from '../../../src/index/errors.ts';
import { clauseSentences, SENTENCE_ROWS_FILE, SENTENCE_VECTORS_FILE, SentenceIndex, type SentenceRow } from '../../../src/index/sentences.ts';

const unit = (v: number[]) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const ROWS: SentenceRow[] = [
  { clauseId: 'a', start: 0, end: 5 },
  { clauseId: 'b', start: 0, end: 3 },
  { clauseId: 'a', start: 5, end: 9 },
];
const VECTORS = [unit([1, 0, 0]), unit([0, 1, 0]), unit([1, 1, 0])];
const make = () => new SentenceIndex(ROWS, Float32Array.from(VECTORS.flat()), 3);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sentences-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('clauseSentences', () => {
  it('lists the sentences worth embedding with their offsets into the clause, skipping bare numbers', () => {
    const text = '第三条\n（一）\n给予补贴。由区财政局拨付。';
    expect(clauseSentences({ id: 'c', text })).toEqual([
      { clauseId: 'c', start: 8, end: 13, text: '给予补贴。' },
      { clauseId: 'c', start: 13, end: 21, text: '由区财政局拨付。' },
    ]);
    expect(clauseSentences({ id: 'c', text: '' })).toEqual([]);
  });
});

describe('SentenceIndex', () => {
  it('groups rows by clause in reading order and scores a query against every sentence, on the scan worker', async () => {
    const index = make();
    expect(index.size).toBe(3);
    expect(index.sentencesOf('a')).toEqual([0, 2]);
    expect(index.sentencesOf('b')).toEqual([1]);
    expect(index.sentencesOf('none')).toEqual([]);
    expect([...index.vector(1)]).toEqual([0, 1, 0]);
    const { similarities, sorted } = await index.scan(Float32Array.from([1, 0, 0]));
    expect(similarities[0]).toBeCloseTo(1, 6);
    expect(similarities[1]).toBeCloseTo(0, 6);
    expect(similarities[2]).toBeCloseTo(Math.SQRT1_2, 6);
    expect([...sorted]).toEqual([similarities[0], similarities[2], similarities[1]]);
  });

  it('refuses a matrix whose size does not match its rows', () => {
    expect(() => new SentenceIndex(ROWS, new Float32Array(8), 3)).toThrow('sentence matrix has 8 values for 3 rows of 3');
  });

  it('loads exactly what it saved', async () => {
    await make().save(dir);
    const loaded = await SentenceIndex.load(dir, 3, new Set(['a', 'b']));
    expect(loaded.rows).toEqual(ROWS);
    expect(loaded.dims).toBe(3);
    for (let i = 0; i < ROWS.length; i++) expect([...loaded.vector(i)]).toEqual([...make().vector(i)]);
    expect(loaded.sentencesOf('a')).toEqual([0, 2]);
    expect(JSON.parse(await readFile(path.join(dir, SENTENCE_ROWS_FILE), 'utf8'))).toEqual({ dims: 3, rows: [['a', 0, 5], ['b', 0, 3], ['a', 5, 9]] });
  });

  it('saves and loads an empty index', async () => {
    await new SentenceIndex([], new Float32Array(0), 3).save(dir);
    expect((await SentenceIndex.load(dir, 3, new Set())).size).toBe(0);
  });

  it('reports missing, truncated, mismatched and orphaned files as a corrupt index', async () => {
    const load = (dims = 3, ids = new Set(['a', 'b'])) => SentenceIndex.load(dir, dims, ids);
    await expect(load()).rejects.toThrow(new IndexCorruptError(dir, `${SENTENCE_ROWS_FILE} is missing or not valid JSON`));
    await make().save(dir);
    await expect(load(4)).rejects.toThrow(IndexCorruptError);
    await expect(load(4)).rejects.toThrow(/does not match the model's 4 dimensions/);
    await expect(load(3, new Set(['a']))).rejects.toThrow(/refers to a missing clause b/);
    const bytes = await readFile(path.join(dir, SENTENCE_VECTORS_FILE));
    await writeFile(path.join(dir, SENTENCE_VECTORS_FILE), bytes.subarray(0, bytes.length - 4));
    await expect(load()).rejects.toThrow(/sentences\.f32 is missing or has the wrong size/);
    await writeFile(path.join(dir, SENTENCE_ROWS_FILE), '{"dims": 3, "rows": [');
    await expect(load()).rejects.toThrow(/not valid JSON/);
  });
});
