// One index writer: real `policy-assistant` processes sharing one index folder on loopback. Two
// replicas whose corpora differ by one character must not rebuild each other's index; a writer
// lock left by a SIGKILLed build is taken over; a live holder keeps a second writer out.

import { execFileSync } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireWriterLock } from '../../src/index/lock.ts';
import { ROOT } from '../helpers.ts';
import { postJson } from './http-helpers.ts';
import { cli, percentile, serve, started, STACK_FRAME, stop, waitFor } from './index-cli.ts';

const FTZ = 'beijing-ftz-regulations.txt';
const QUERIES = ['自贸试验区跨境数据流动', '外资可以投资哪些领域', '管理体制', '金融开放 跨境资金', '知识产权保护', '人才引进 便利'];
let tmp: string;
let corpusA: string;
let baseIndex: string;

const generationOf = async (indexDir: string) => (await readFile(path.join(indexDir, 'CURRENT'), 'utf8')).trim();
const health = async (url: string) => (await (await fetch(`${url}/healthz`)).json()) as { status: string; index: { generation: string; corpus: string; differences?: { files: string[]; documents: { added: string[]; removed: string[]; changed: string[] } } } };

/** Sequential searches against the urls in turn for ms; every one must answer 200 with results. */
async function searchFor(urls: string[], ms: number): Promise<{ latencies: number[]; failures: string[] }> {
  const latencies: number[] = [];
  const failures: string[] = [];
  const end = Date.now() + ms;
  for (let i = 0; Date.now() < end; i++) {
    const url = urls[i % urls.length]!;
    const t = performance.now();
    const res = await postJson(`${url}/api/search`, { query: QUERIES[i % QUERIES.length], k: 5 });
    const body = (await res.json()) as { results?: unknown[] };
    latencies.push(performance.now() - t);
    if (res.status !== 200 || !body.results?.length) failures.push(`${url} ${res.status}`);
  }
  return { latencies, failures };
}

beforeAll(async () => {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT });
  tmp = await mkdtemp(path.join(tmpdir(), 'index-writer-'));
  corpusA = path.join(tmp, 'corpus-a');
  baseIndex = path.join(tmp, 'base-index');
  await mkdir(corpusA);
  for (const f of [FTZ, 'manifest.json']) await copyFile(path.join(ROOT, 'corpus', f), path.join(corpusA, f));
  const build = cli(['index'], { corpusDir: corpusA, indexDir: baseIndex });
  expect((await build.exited).code).toBe(0);
});
afterAll(async () => {
  for (const child of started) child.kill('SIGKILL');
  await rm(tmp, { recursive: true, force: true });
});

describe('two replicas sharing one index folder, corpora differing by one character', () => {
  it('rebuild at most once in 60 s, search p95 within 2x of idle, and the replica that differs says so', async () => {
    const shared = path.join(tmp, 'shared');
    await cp(baseIndex, shared, { recursive: true });
    const corpusB = path.join(tmp, 'corpus-b');
    await cp(corpusA, corpusB, { recursive: true });
    // One character of one clause, edited after the index was built (so B's corpus is the newer).
    const text = await readFile(path.join(corpusB, FTZ), 'utf8');
    const at = text.indexOf('。', Math.floor(text.length / 2)) - 1;
    await writeFile(path.join(corpusB, FTZ), `${text.slice(0, at)}${text[at] === '甲' ? '乙' : '甲'}${text.slice(at + 1)}`);

    const a = await serve({ corpusDir: corpusA, indexDir: shared });
    // Warm-up (JIT, the embedding cache): latencies settle after about 6 s of requests.
    await searchFor([a.url], 8_000);
    const idle = await searchFor([a.url], 10_000);
    expect(idle.failures).toEqual([]);

    const b = await serve({ corpusDir: corpusB, indexDir: shared });
    const committed = await generationOf(shared);
    // A loads B's commit (never rebuilding back): wait until both serve it.
    for (const deadline = Date.now() + 20_000; (await health(a.url)).index.generation !== committed; ) {
      if (Date.now() > deadline) throw new Error('A never loaded B\'s commit');
      await new Promise((r) => setTimeout(r, 100));
    }
    const generations = new Set([committed]);
    const watch = setInterval(() => void generationOf(shared).then((g) => generations.add(g), () => undefined), 200);
    const run = await searchFor([a.url, b.url], 60_000);
    clearInterval(watch);

    const [ha, hb] = [await health(a.url), await health(b.url)];
    expect(await stop(a)).toEqual({ code: 0, signal: null });
    expect(await stop(b)).toEqual({ code: 0, signal: null });
    const builds = [a, b].flatMap((p) => p.stderr().split('\n').filter((l) => /^index: (built|incremental|repaired) /.test(l)));
    const p95Idle = percentile(idle.latencies, 95);
    const p95Run = percentile(run.latencies, 95);
    console.log(
      `replicas: ${builds.length} rebuild(s) in total (${builds.join(' | ')}); generations during the 60 s: ${generations.size}; ` +
        `search p95 idle ${p95Idle.toFixed(1)} ms (${idle.latencies.length} requests), during the run ${p95Run.toFixed(1)} ms (${run.latencies.length} requests), ` +
        `p50 ${percentile(idle.latencies, 50).toFixed(1)} / ${percentile(run.latencies, 50).toFixed(1)} ms`,
    );
    expect(builds.length).toBeLessThanOrEqual(1);
    expect(generations.size).toBe(1);
    expect(run.failures).toEqual([]);
    expect(p95Run).toBeLessThanOrEqual(2 * p95Idle);
    // A serves B's commit and reports the difference, once; B's corpus is the committed one.
    expect(ha.index).toMatchObject({ generation: committed, corpus: 'differs' });
    expect(ha.index.differences!.files).toEqual([FTZ]);
    expect(ha.index.differences!.documents.changed.length + ha.index.differences!.documents.removed.length).toBeGreaterThan(0);
    expect(ha.status).toBe('ok');
    expect(hb.index).toMatchObject({ generation: committed, corpus: 'same' });
    expect(a.stderr().match(/this corpus differs from the committed index/g)).toHaveLength(1);
    expect(b.stderr()).not.toMatch(/this corpus differs/);
    expect(a.stderr() + b.stderr()).not.toMatch(STACK_FRAME);
  }, 150_000);
});

describe('the writer lock', () => {
  it('left by a SIGKILLed build is stale and taken over by the next writer', async () => {
    const dirs = { corpusDir: corpusA, indexDir: path.join(tmp, 'killed') };
    await cp(baseIndex, dirs.indexDir, { recursive: true });
    const before = await generationOf(dirs.indexDir);
    const build = cli(['index', '--rebuild'], dirs);
    await waitFor(build, 'stderr', /index: embedding \d+ chunks/);
    const lock = JSON.parse(await readFile(path.join(dirs.indexDir, 'write.lock'), 'utf8')) as { pid: number; hostname: string; startedAt: string };
    expect(lock.pid).toBe(build.child.pid);
    build.child.kill('SIGKILL');
    expect((await build.exited).signal).toBe('SIGKILL');
    // Left behind, naming a pid that no longer exists.
    expect(JSON.parse(await readFile(path.join(dirs.indexDir, 'write.lock'), 'utf8'))).toEqual(lock);

    const next = cli(['index', '--rebuild'], dirs);
    expect(await next.exited).toEqual({ code: 0, signal: null });
    expect(next.stderr()).toContain(`index: took over a stale writer lock of pid ${lock.pid} on ${lock.hostname}`);
    expect(await generationOf(dirs.indexDir)).not.toBe(before);
    await expect(readFile(path.join(dirs.indexDir, 'write.lock'))).rejects.toThrow(/ENOENT/);
  });

  it('held by a live process keeps a second writer waiting, building nothing, until it lets go', async () => {
    const dirs = { corpusDir: corpusA, indexDir: path.join(tmp, 'live') };
    await cp(baseIndex, dirs.indexDir, { recursive: true });
    const before = await generationOf(dirs.indexDir);
    // This test process is the live holder: the real lock file, with its heartbeat.
    const held = await acquireWriterLock(dirs.indexDir, { purpose: 'test holder' });
    const second = cli(['index', '--rebuild'], dirs);
    await waitFor(second, 'stderr', new RegExp(`index: waiting: The index in .* is being written by pid ${process.pid} on .*\\(test holder since `));
    await new Promise((r) => setTimeout(r, 3000));
    expect(second.stderr()).not.toMatch(/index: embedding/);
    expect(await generationOf(dirs.indexDir)).toBe(before);
    expect(second.child.exitCode).toBeNull();
    await held.release();
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(second.stderr()).toMatch(/index: embedding \d+ chunks/);
    expect(await generationOf(dirs.indexDir)).not.toBe(before);
    // A reader never builds: `index` is refused with one line.
    const reader = cli(['index'], dirs, { POLICY_ASSISTANT_INDEX_ROLE: 'reader' });
    expect((await reader.exited).code).toBe(2);
    expect(reader.stderr().trim().split('\n').at(-1)).toMatch(/^policy-assistant: this process is an index reader/);
    expect(reader.stderr()).not.toMatch(STACK_FRAME);
  });
});
