// The question's similarity to every indexed sentence, on a worker thread. At ~4,800 rows of 512
// the scan cost 2.5 ms on an idle main thread and ~4 ms under load: a third of an offline chat
// request's main-thread time, and the reason 50 users a second queued behind one another. On the
// worker it runs beside the dense and lexical searches and leaves the event loop to other requests.
// The matrix is a SharedArrayBuffer, so a call posts the query only; the reply is transferred.

import { evalWorker } from '../util/eval-worker.ts';

/** Every row's dot product with the query, and the same values sorted descending (for ranks). */
export interface Scan {
  similarities: Float32Array;
  sorted: Float32Array;
}

/** rows × dims dot products; four accumulators let V8 pipeline the multiply-adds (~1.5× a plain loop). */
export function scanRows(matrix: Float32Array, rows: number, dims: number, query: Float32Array): Scan {
  const similarities = new Float32Array(rows);
  const whole = dims - (dims % 4);
  for (let i = 0, o = 0; i < rows; i++, o += dims) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let j = 0;
    for (; j < whole; j += 4) {
      s0 += query[j]! * matrix[o + j]!;
      s1 += query[j + 1]! * matrix[o + j + 1]!;
      s2 += query[j + 2]! * matrix[o + j + 2]!;
      s3 += query[j + 3]! * matrix[o + j + 3]!;
    }
    for (; j < dims; j++) s0 += query[j]! * matrix[o + j]!;
    similarities[i] = s0 + s1 + s2 + s3;
  }
  const sorted = Float32Array.from(similarities).sort().reverse();
  return { similarities, sorted };
}

// Evaluated JavaScript (util/eval-worker.ts); the kernel is scanRows itself (its compiled source),
// so both threads compute the same numbers.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const scanRows = ${scanRows.toString()};
parentPort.on('message', ({ id, buffer, byteOffset, rows, dims, query }) => {
  const { similarities, sorted } = scanRows(new Float32Array(buffer, byteOffset, rows * dims), rows, dims, query);
  parentPort.postMessage({ id, similarities, sorted }, [similarities.buffer, sorted.buffer]);
});
`;

interface Pending {
  resolve: (scan: Scan) => void;
  /** The same scan on the calling thread, should the worker fail. */
  inThread: () => Scan;
}

/** One worker for the process; its calls never fail (a dead worker's are computed in-thread). */
class ScanWorker {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private readonly worker = evalWorker(WORKER_SOURCE);
  dead = false;

  constructor() {
    this.worker.on('message', ({ id, similarities, sorted }: { id: number } & Scan) => {
      this.pending.get(id)?.resolve({ similarities, sorted });
      this.pending.delete(id);
      if (!this.pending.size) this.worker.unref();
    });
    const fail = () => {
      this.dead = true;
      for (const p of this.pending.values()) p.resolve(p.inThread());
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', fail);
    this.worker.unref();
  }

  scan(matrix: Float32Array, rows: number, dims: number, query: Float32Array): Promise<Scan> {
    const id = this.nextId++;
    return new Promise<Scan>((resolve) => {
      this.pending.set(id, { resolve, inThread: () => scanRows(matrix, rows, dims, query) });
      // Held open while a scan is outstanding, and not otherwise: a CLI search must still exit.
      this.worker.ref();
      this.worker.postMessage({ id, buffer: matrix.buffer, byteOffset: matrix.byteOffset, rows, dims, query });
    });
  }
}

let worker: ScanWorker | undefined;

/** scanRows on the shared worker; a matrix not in shared memory is scanned in-thread. */
export function scanOnWorker(matrix: Float32Array, rows: number, dims: number, query: Float32Array): Promise<Scan> {
  if (!(matrix.buffer instanceof SharedArrayBuffer)) return Promise.resolve(scanRows(matrix, rows, dims, query));
  if (!worker || worker.dead) worker = new ScanWorker();
  return worker.scan(matrix, rows, dims, query);
}

/** A Float32Array of `length` in shared memory, which the worker reads without a copy. */
export function sharedFloat32(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * Float32Array.BYTES_PER_ELEMENT));
}
