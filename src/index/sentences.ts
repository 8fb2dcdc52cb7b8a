// Sentence-level evidence: every sentence and list item of every clause, embedded at index time, so
// the question's similarity to each sentence is a dot product at query time, not a model call.
// Stored as one flat Float32 matrix (sentences.f32) and its rows' offsets (sentences.json); at a few
// thousand rows an exact brute-force scan costs a few milliseconds, on a worker (scan-worker.ts).

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sentencesOf, stripMarker } from '../chunk/sentences.ts';
import type { Clause } from '../parse/types.ts';
import { writeFileDurable } from './atomic.ts';
import { IndexCorruptError } from './errors.ts';
import { scanOnWorker, sharedFloat32, type Scan } from './scan-worker.ts';

export const SENTENCE_VECTORS_FILE = 'sentences.f32';
export const SENTENCE_ROWS_FILE = 'sentences.json';

/** One sentence of a clause: offsets into the clause text. */
export interface SentenceRow {
  clauseId: string;
  start: number;
  end: number;
}

/** The sentences of a clause worth embedding (a bare item number states nothing). */
export function clauseSentences(clause: Pick<Clause, 'id' | 'text'>): (SentenceRow & { text: string })[] {
  return sentencesOf(clause.text)
    .filter((s) => stripMarker(s.text).length >= 2)
    .map((s) => ({ clauseId: clause.id, start: s.start, end: s.end, text: s.text }));
}

export class SentenceIndex {
  private readonly rowsOf = new Map<string, number[]>();
  private readonly matrix: Float32Array;

  constructor(
    readonly rows: SentenceRow[],
    /** rows.length × dims, unit-norm rows; copied into shared memory unless already there. */
    matrix: Float32Array,
    readonly dims: number,
  ) {
    if (matrix.length !== rows.length * dims) throw new Error(`sentence matrix has ${matrix.length} values for ${rows.length} rows of ${dims}`);
    if (matrix.buffer instanceof SharedArrayBuffer) this.matrix = matrix;
    else (this.matrix = sharedFloat32(matrix.length)).set(matrix);
    rows.forEach((r, i) => {
      const list = this.rowsOf.get(r.clauseId);
      if (list) list.push(i);
      else this.rowsOf.set(r.clauseId, [i]);
    });
  }

  get size(): number {
    return this.rows.length;
  }

  /** Row indexes of a clause's sentences, in reading order. */
  sentencesOf(clauseId: string): readonly number[] {
    return this.rowsOf.get(clauseId) ?? [];
  }

  vector(row: number): Float32Array {
    return this.matrix.subarray(row * this.dims, (row + 1) * this.dims);
  }

  /** Cosine similarity of a unit-norm query to every sentence (and sorted), on the scan worker. */
  scan(query: Float32Array): Promise<Scan> {
    return scanOnWorker(this.matrix, this.rows.length, this.dims, query);
  }

  async save(dir: string): Promise<void> {
    await writeFileDurable(path.join(dir, SENTENCE_VECTORS_FILE), new Uint8Array(this.matrix.buffer, this.matrix.byteOffset, this.matrix.byteLength));
    await writeFileDurable(path.join(dir, SENTENCE_ROWS_FILE), JSON.stringify({ dims: this.dims, rows: this.rows.map((r) => [r.clauseId, r.start, r.end]) }));
  }

  /** Reads what save() wrote; sizes that do not agree are an IndexCorruptError. */
  static async load(dir: string, dims: number, clauseIds: ReadonlySet<string>): Promise<SentenceIndex> {
    const corrupt = (problem: string) => new IndexCorruptError(dir, problem);
    let json: { dims: number; rows: [string, number, number][] };
    try {
      json = JSON.parse(await readFile(path.join(dir, SENTENCE_ROWS_FILE), 'utf8')) as typeof json;
    } catch {
      throw corrupt(`${SENTENCE_ROWS_FILE} is missing or not valid JSON`);
    }
    if (json.dims !== dims || !Array.isArray(json.rows)) throw corrupt(`${SENTENCE_ROWS_FILE} does not match the model's ${dims} dimensions`);
    const bytes = await readFile(path.join(dir, SENTENCE_VECTORS_FILE)).catch(() => undefined);
    if (!bytes || bytes.length !== json.rows.length * dims * 4) throw corrupt(`${SENTENCE_VECTORS_FILE} is missing or has the wrong size`);
    const rows = json.rows.map(([clauseId, start, end]) => ({ clauseId, start, end }));
    const orphan = rows.find((r) => !clauseIds.has(r.clauseId));
    if (orphan) throw corrupt(`${SENTENCE_ROWS_FILE} refers to a missing clause ${orphan.clauseId}`);
    // Copied into aligned shared memory: a Buffer from readFile may start at any byte offset.
    const matrix = sharedFloat32(bytes.length / 4);
    new Uint8Array(matrix.buffer).set(bytes);
    return new SentenceIndex(rows, matrix, dims);
  }
}
