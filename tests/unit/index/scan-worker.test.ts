import { describe, expect, it } from 'vitest';
import { scanOnWorker, scanRows, sharedFloat32 } from '../../../src/index/scan-worker.ts';

/** A deterministic pseudo-random matrix (no Math.random: a failure must reproduce). */
function matrixOf(rows: number, dims: number, shared: boolean): Float32Array {
  const m = shared ? sharedFloat32(rows * dims) : new Float32Array(rows * dims);
  let x = 12345;
  for (let i = 0; i < m.length; i++) m[i] = ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 0.5;
  return m;
}

describe('the sentence scan', () => {
  it('computes every row’s dot product, whatever the remainder of dims over the unrolled four', () => {
    for (const dims of [1, 3, 4, 7, 512]) {
      const m = matrixOf(9, dims, false);
      const q = matrixOf(1, dims, false);
      const { similarities, sorted } = scanRows(m, 9, dims, q);
      for (let r = 0; r < 9; r++) {
        let want = 0;
        for (let j = 0; j < dims; j++) want += q[j]! * m[r * dims + j]!;
        expect(similarities[r]).toBeCloseTo(want, 5);
      }
      expect([...sorted]).toEqual([...similarities].sort((a, b) => b - a));
    }
  });

  it('gives on the worker exactly what the calling thread computes, for many calls at once', async () => {
    const rows = 300;
    const m = matrixOf(rows, 512, true);
    const queries = Array.from({ length: 20 }, (_, i) => m.slice(i * 512, (i + 1) * 512));
    const scans = await Promise.all(queries.map((q) => scanOnWorker(m, rows, 512, q)));
    scans.forEach((scan, i) => {
      expect(scan).toEqual(scanRows(m, rows, 512, queries[i]!));
      // Query i is row i, whose dot product with itself (its squared norm, ~43) no other row nears.
      expect(scan.similarities[i]).toBe(scan.sorted[0]);
    });
  });

  it('answers in-thread when the worker dies, and the next scan gets a fresh worker', async () => {
    const rows = 10;
    const m = matrixOf(rows, 8, true);
    const q = m.slice(0, 8);
    // One row more than the shared buffer holds: the worker's view of it throws, and the worker dies.
    const broken = await scanOnWorker(m, rows + 1, 8, q);
    expect(broken.similarities).toHaveLength(rows + 1);
    expect(broken.similarities[rows]).toBeNaN(); // computed here, reading past the end
    expect([...broken.similarities.subarray(0, rows)]).toEqual([...scanRows(m, rows, 8, q).similarities]);
    expect(await scanOnWorker(m, rows, 8, q)).toEqual(scanRows(m, rows, 8, q));
  });
});
