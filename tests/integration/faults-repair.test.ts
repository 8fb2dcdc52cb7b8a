// Damaged index files under a real `serve` process: each is detected, the server listens at once
// and answers search and chat throughout (from the intact parts), /healthz says what is being
// repaired, and a background repair (under the writer lock, reusing what is intact: no chunk is
// embedded again when its vector survives in vectors.f32 or the graph) swaps a good generation in.

import { execFileSync } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadIndex } from '../../src/index/build.ts';
import { ROOT } from '../helpers.ts';
import { postJson } from './http-helpers.ts';
import { cli, serve, started, STACK_FRAME, stop } from './index-cli.ts';

let tmp: string;
let corpusDir: string;
let baseIndex: string;

const generationOf = async (indexDir: string) => (await readFile(path.join(indexDir, 'CURRENT'), 'utf8')).trim();

async function flipByte(file: string): Promise<void> {
  const data = await readFile(file);
  const at = Math.floor(data.length / 2);
  data[at] = data[at]! ^ 0x01;
  await writeFile(file, data);
}

const cases: { name: string; damage: (gen: string) => Promise<void>; says: RegExp; embedsNothing: boolean }[] = [
  ...['vectors.hnsw', 'vectors.ids.json', 'vectors.f32', 'sentences.f32', 'sentences.json', 'store.json', 'lexical.json', 'manifest.json'].map((file) => ({
    name: `a flipped byte in ${file}`,
    damage: (gen: string) => flipByte(path.join(gen, file)),
    says: new RegExp(file === 'manifest.json' ? 'manifest\\.json is (damaged|missing or not valid JSON)' : `${file.replace('.', '\\.')} is damaged`),
    // Only a damaged manifest leaves nothing verifiable to reuse.
    embedsNothing: file !== 'manifest.json',
  })),
  { name: 'lexical.json emptied to {}', damage: (gen) => writeFile(path.join(gen, 'lexical.json'), '{}'), says: /lexical\.json is damaged/, embedsNothing: true },
  {
    name: 'a truncated store',
    damage: async (gen) => truncate(path.join(gen, 'store.json'), Math.floor((await stat(path.join(gen, 'store.json'))).size / 2)),
    says: /store\.json is damaged/,
    embedsNothing: true,
  },
];

beforeAll(async () => {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT });
  tmp = await mkdtemp(path.join(tmpdir(), 'faults-repair-'));
  corpusDir = path.join(tmp, 'corpus');
  baseIndex = path.join(tmp, 'base-index');
  await mkdir(corpusDir);
  for (const f of ['beijing-ftz-regulations.txt', 'manifest.json']) await copyFile(path.join(ROOT, 'corpus', f), path.join(corpusDir, f));
  const build = cli(['index'], { corpusDir, indexDir: baseIndex });
  expect((await build.exited).code).toBe(0);
});
afterAll(async () => {
  for (const child of started) child.kill('SIGKILL');
  await rm(tmp, { recursive: true, force: true });
});

// Concurrent, 3 at a time: each case is mostly a server starting and waiting.
vi.setConfig({ maxConcurrency: 3 });
describe.concurrent('a damaged index under serve', () => {
  for (const { name, damage, says, embedsNothing } of cases) {
    it(`${name}: detected, answered throughout, /healthz says what is repaired, then ok`, async () => {
      const indexDir = path.join(tmp, name.replace(/\W+/g, '-'));
      await cp(baseIndex, indexDir, { recursive: true });
      const before = await generationOf(indexDir);
      await damage(path.join(indexDir, before));
      const t0 = performance.now();
      const server = await serve({ corpusDir, indexDir });
      const listenMs = performance.now() - t0;
      const failures: string[] = [];
      const states: string[] = [];
      let repairing: string[] = [];
      let answered = 0;
      const deadline = Date.now() + 90_000;
      for (;;) {
        if (server.child.exitCode !== null || server.child.signalCode !== null) throw new Error(`the server exited: ${server.stderr()}\n${server.stdout().slice(-2000)}`);
        const h = (await (await fetch(`${server.url}/healthz`)).json()) as { status: string; index: { state: string; generation: string; repairing?: string[] } };
        if (states.at(-1) !== h.status) states.push(h.status);
        if (h.index.repairing) repairing = h.index.repairing;
        const search = await postJson(`${server.url}/api/search`, { query: '自贸试验区跨境数据流动', k: 3 });
        const chat = await postJson(`${server.url}/api/chat`, { message: '自贸试验区的管理体制是什么？' });
        for (const r of [search, chat]) if (r.status !== 200) failures.push(`${r.url} ${r.status}`);
        if (!((await search.json()) as { results: unknown[] }).results.length) failures.push('search found nothing');
        await chat.text();
        answered++;
        if (h.status === 'ok' && h.index.generation !== before) break;
        if (Date.now() > deadline) throw new Error(`never repaired: ${server.stderr()}\n${server.stdout()}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const repairMs = performance.now() - t0 - listenMs;
      expect(await stop(server)).toEqual({ code: 0, signal: null });
      console.log(`${name}: listening after ${Math.round(listenMs)} ms, repaired ${Math.round(repairMs)} ms later; ${answered} rounds of search+chat answered meanwhile`);
      expect(failures).toEqual([]);
      expect(states).toEqual(['rebuilding', 'ok']);
      expect(repairing.join('; ')).toMatch(says);
      expect(server.stderr().split('\n').find((l) => says.test(l))).toMatch(/^index: .* \(in .*\); serving the intact parts$/);
      expect(server.stdout()).toMatch(/"msg":"index damaged; repairing in the background/);
      expect(server.stdout()).toMatch(/"msg":"index swapped in"/);
      const embedded = server.stderr().match(/embedding (\d+) chunks/);
      if (embedsNothing) expect(embedded?.[1] ?? '0').toBe('0');
      expect(server.stderr()).not.toMatch(STACK_FRAME);
      // The repaired generation verifies, every part against its checksum.
      expect((await loadIndex(indexDir)).dir).toBe(path.join(indexDir, await generationOf(indexDir)));
    }, 120_000);
  }
});
