// Faults of the real `policy-assistant` process: a build killed with SIGKILL, corrupt or partial
// index files at start, and SIGTERM while an answer is streaming. Each runs dist/cli.js over a
// one-document corpus in a temp dir (POLICY_ASSISTANT_CORPUS_DIR / _INDEX_DIR), so a build takes
// seconds and the project's embeddings/ is never touched.

import { execFileSync } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeManifest, type IndexManifest } from '../../src/index/manifest.ts';
import { ROOT } from '../helpers.ts';
import { cli as spawnCli, started, STACK_FRAME, stop, waitFor, type Cli } from './index-cli.ts';
import { parseSse, postJson } from './http-helpers.ts';

let tmp: string;
let corpusDir: string;
/** A complete index of corpusDir, copied for each case. */
let baseIndex: string;

/** A CLI process over this file's corpus and the given index. */
const cli = (args: string[], indexDir: string, env: Record<string, string> = {}): Cli => spawnCli(args, { corpusDir, indexDir }, env);

/** `serve` on a free port; resolves once it listens. */
async function serve(indexDir: string, env: Record<string, string> = {}): Promise<Cli & { url: string }> {
  const p = cli(['serve', '--port', '0'], indexDir, env);
  const [, url] = await waitFor(p, 'stderr', /serving on (http:\/\/\S+) /);
  return { ...p, url: url! };
}

async function copyIndex(name: string): Promise<string> {
  const dir = path.join(tmp, name);
  await cp(baseIndex, dir, { recursive: true });
  return dir;
}

const generationOf = async (indexDir: string): Promise<string> => (await readFile(path.join(indexDir, 'CURRENT'), 'utf8')).trim();

async function searchWorks(url: string): Promise<void> {
  const health = await fetch(`${url}/healthz`);
  expect(health.status).toBe(200);
  const res = await postJson(`${url}/api/search`, { query: '自贸试验区跨境数据流动', k: 3 });
  expect(res.status).toBe(200);
  const { results } = (await res.json()) as { results: { text: string }[] };
  expect(results.length).toBe(3);
}

beforeAll(async () => {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT });
  tmp = await mkdtemp(path.join(tmpdir(), 'faults-process-'));
  corpusDir = path.join(tmp, 'corpus');
  baseIndex = path.join(tmp, 'base-index');
  await mkdir(corpusDir);
  for (const f of ['beijing-ftz-regulations.txt', 'manifest.json']) await copyFile(path.join(ROOT, 'corpus', f), path.join(corpusDir, f));
  const build = cli(['index'], baseIndex);
  expect((await build.exited).code).toBe(0);
});
afterAll(async () => {
  for (const child of started) child.kill('SIGKILL');
  await rm(tmp, { recursive: true, force: true });
});

describe('kill -9 during a rebuild', () => {
  it('leaves the previous index, which serve then uses without errors', async () => {
    const indexDir = await copyIndex('killed');
    const before = await generationOf(indexDir);
    const build = cli(['index', '--rebuild'], indexDir);
    await waitFor(build, 'stderr', /index: embedding \d+ chunks/);
    await new Promise((r) => setTimeout(r, 300));
    build.child.kill('SIGKILL');
    expect(await build.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await generationOf(indexDir)).toBe(before);

    const server = await serve(indexDir);
    await searchWorks(server.url);
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as { index: { generation: string; openedAs: string } };
    expect(health.index).toMatchObject({ generation: before, openedAs: 'loaded' });
    expect(await stop(server)).toEqual({ code: 0, signal: null });
    expect(server.stderr()).not.toMatch(STACK_FRAME);
    expect(server.stderr()).not.toMatch(/error/i);
    // Whatever the killed build left behind is gone, but its write.lock: stale (its pid is dead), it
    // is taken over by the next writer (index-writer.test.ts).
    expect((await readdir(indexDir)).sort()).toEqual(['CURRENT', before, 'write.lock']);
    const lock = JSON.parse(await readFile(path.join(indexDir, 'write.lock'), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(build.child.pid);
  });
});

describe('rebuild while serving', () => {
  const TOKEN = 'process-test-token-42';
  const auth = { authorization: `Bearer ${TOKEN}` };
  const generationServed = async (url: string) => ((await (await fetch(`${url}/healthz`)).json()) as { index: { generation: string } }).index.generation;

  it('serve swaps in a rebuild from POST /admin/reindex and one committed by `index` in another process', async () => {
    const indexDir = await copyIndex('serving');
    const first = await generationOf(indexDir);
    const server = await serve(indexDir, { POLICY_ASSISTANT_ADMIN_TOKEN: TOKEN });
    try {
      const res = await fetch(`${server.url}/admin/reindex?rebuild=true`, { method: 'POST', headers: auth });
      expect(res.status).toBe(202);
      let status: { state: string; generation?: string };
      do {
        await new Promise((r) => setTimeout(r, 100));
        status = (await (await fetch(`${server.url}/admin/reindex`, { headers: auth })).json()) as typeof status;
      } while (status.state === 'running');
      expect(status.state).toBe('succeeded');
      expect(status.generation).not.toBe(first);
      expect(await generationServed(server.url)).toBe(status.generation);

      const external = cli(['index', '--rebuild'], indexDir);
      expect((await external.exited).code).toBe(0);
      const third = await generationOf(indexDir);
      expect(third).not.toBe(status.generation);
      const deadline = Date.now() + 10_000;
      while ((await generationServed(server.url)) !== third && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await generationServed(server.url)).toBe(third);
      await searchWorks(server.url);
    } finally {
      expect(await stop(server)).toEqual({ code: 0, signal: null });
    }
    expect(server.stderr()).not.toMatch(STACK_FRAME);
  });

  it('SIGTERM during an admin rebuild cancels it and exits 0; the next start uses the previous index', async () => {
    const indexDir = await copyIndex('serving-stopped');
    const before = await generationOf(indexDir);
    const server = await serve(indexDir, { POLICY_ASSISTANT_ADMIN_TOKEN: TOKEN });
    expect((await fetch(`${server.url}/admin/reindex?rebuild=true`, { method: 'POST', headers: auth })).status).toBe(202);
    await waitFor(server, 'stderr', /index: embedding \d+ chunks/);
    expect(await stop(server)).toEqual({ code: 0, signal: null });
    expect(server.stdout()).toMatch(/"msg":"index reload cancelled by shutdown"/);
    expect(server.stderr()).not.toMatch(STACK_FRAME);
    expect(await generationOf(indexDir)).toBe(before);

    const again = await serve(indexDir);
    await searchWorks(again.url);
    expect(await generationServed(again.url)).toBe(before);
    expect(await stop(again)).toEqual({ code: 0, signal: null });
    expect(again.stderr()).not.toMatch(STACK_FRAME);
  });
});

describe('corrupt or partial index files at start', () => {
  const cases: { name: string; damage: (gen: string) => Promise<void>; says: RegExp }[] = [
    {
      name: 'a truncated vectors file',
      damage: async (gen) => truncate(path.join(gen, 'vectors.hnsw'), Math.floor((await stat(path.join(gen, 'vectors.hnsw'))).size / 2)),
      says: /vectors\.hnsw is damaged/,
    },
    {
      name: 'a manifest that is not JSON',
      damage: (gen) => writeFile(path.join(gen, 'manifest.json'), '{"formatVersion": 1, "model": {'),
      says: /manifest\.json is missing or not valid JSON/,
    },
    {
      name: 'a missing store',
      damage: (gen) => rm(path.join(gen, 'store.json')),
      says: /store\.json is missing/,
    },
  ];

  for (const { name, damage, says } of cases) {
    it(`${name}: serve says so in one line, serves at once and repairs in the background`, async () => {
      const indexDir = await copyIndex(`serve-${name.replace(/\W+/g, '-')}`);
      const before = await generationOf(indexDir);
      await damage(path.join(indexDir, before));
      const server = await serve(indexDir);
      await searchWorks(server.url);
      const deadline = Date.now() + 60_000;
      while ((await generationOf(indexDir)) === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await stop(server)).toEqual({ code: 0, signal: null });
      const line = server.stderr().split('\n').find((l) => says.test(l));
      expect(line).toMatch(/^index: .* \(in .*\); serving the intact parts$/);
      expect(server.stderr()).not.toMatch(STACK_FRAME);
      expect(await generationOf(indexDir)).not.toBe(before);
    });

    it(`${name}: search still answers, without a stack trace`, async () => {
      const indexDir = await copyIndex(`search-${name.replace(/\W+/g, '-')}`);
      const before = await generationOf(indexDir);
      await damage(path.join(indexDir, before));
      const search = cli(['search', '自贸试验区跨境数据流动', '--k', '3', '--json'], indexDir);
      expect(await search.exited).toEqual({ code: 0, signal: null });
      expect((JSON.parse(search.stdout()) as { results: unknown[] }).results).toHaveLength(3);
      expect(search.stderr()).not.toMatch(STACK_FRAME);
      expect(await generationOf(indexDir)).not.toBe(before);
    });
  }

  it('an index built with another model is refused by serve and search with one clear line, exit 2', async () => {
    const indexDir = await copyIndex('other-model');
    const manifestFile = path.join(indexDir, await generationOf(indexDir), 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as { model: { id: string; sha256: string } };
    await writeFile(manifestFile, serializeManifest({ ...manifest, model: { ...manifest.model, id: 'someone/else-model', sha256: 'f'.repeat(64) } } as IndexManifest));
    for (const args of [['serve', '--port', '0'], ['search', '跨境数据流动']]) {
      const p = cli(args, indexDir);
      expect(await p.exited, args[0]).toEqual({ code: 2, signal: null });
      const lines = p.stderr().trim().split('\n');
      expect(lines.at(-1)).toMatch(/^policy-assistant: The index in .* was built with someone\/else-model .* rebuild the index with `policy-assistant index --rebuild`\.$/);
      expect(p.stderr()).not.toMatch(STACK_FRAME);
      expect(p.stderr()).not.toMatch(/serving on/);
    }
  });
});

describe('SIGTERM', () => {
  let llm: Server;
  let llmCalls = 0;
  const LLM_DELAY_MS = 2000;

  beforeAll(async () => {
    // An OpenAI-compatible endpoint that takes its time, so the answer is still streaming at SIGTERM.
    llm = createServer((req, res) => {
      req.resume();
      llmCalls++;
      setTimeout(() => {
        const content = JSON.stringify({ answer: '语料未涉及。', citations: [], abstained: true });
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({ id: 'x', object: 'chat.completion', created: 0, model: 'slow', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }] }),
        );
      }, LLM_DELAY_MS);
    });
    await new Promise<void>((resolve) => llm.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    llm.closeAllConnections();
    await new Promise((resolve) => llm.close(resolve));
  });

  it('finishes the SSE answer in flight, refuses new connections, and exits 0', async () => {
    const server = await serve(baseIndex, {
      POLICY_ASSISTANT_LLM_BASE_URL: `http://127.0.0.1:${(llm.address() as AddressInfo).port}/v1`,
      POLICY_ASSISTANT_LLM_MODEL: 'slow',
      POLICY_ASSISTANT_LLM_TIMEOUT_MS: '20000',
    });
    const port = Number(new URL(server.url).port);
    const res = await postJson(`${server.url}/api/chat`, { message: '外资银行可以参股证券公司吗' }, { accept: 'text/event-stream' });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const body = res.text();
    while (llmCalls === 0) await new Promise((r) => setTimeout(r, 20));

    const termAt = Date.now();
    server.child.kill('SIGTERM');
    // Stopped listening at once, while the answer is still being prepared.
    const refused = await new Promise<string>((resolve) => {
      const attempt = () => {
        const socket = connect(port, '127.0.0.1');
        socket.on('connect', () => {
          socket.destroy();
          setTimeout(attempt, 20);
        });
        socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      };
      attempt();
    });
    expect(refused).toBe('ECONNREFUSED');
    expect(Date.now() - termAt).toBeLessThan(LLM_DELAY_MS);

    const events = parseSse(await body);
    expect(events[0]!.event).toBe('citations');
    expect(events.at(-1)!.event).toBe('done');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - termAt).toBeLessThan(LLM_DELAY_MS + 3000);
    expect(server.stderr()).not.toMatch(STACK_FRAME);
    expect(server.stdout()).toMatch(/"msg":"shutting down"/);
    expect(server.stdout()).toMatch(/"msg":"stopped"/);
  });
});
