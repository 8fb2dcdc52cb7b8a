// Rebuilding the index while serving: POST /admin/reindex, and `policy-assistant index` run in
// another process, each swap a new generation in while every request keeps being answered — from
// the old index until the new one is complete. Real model, real server, a one-document corpus in a
// temp dir so a full build takes seconds.

import { execFile, execFileSync } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppHolder, AppReloader, type ReloadStatus } from '../../src/app-reload.ts';
import { openApp, type App } from '../../src/app.ts';
import { TransformersEmbedder } from '../../src/index/embedder/index.ts';
import { adminRouter } from '../../src/http/routes/admin.ts';
import { startServer, type RunningServer } from '../../src/http/server.ts';
import { serializeManifest, type IndexManifest } from '../../src/index/manifest.ts';
import { ROOT } from '../helpers.ts';
import { postJson } from './http-helpers.ts';

const TOKEN = 'test-admin-token-0123456789';
const RATE_LIMITS_OFF = { chat: 'off', search: 'off', api: 'off' };
const silent = pino({ level: 'silent' });

let tmp: string;
let corpusDir: string;
let indexDir: string;
let holder: AppHolder;
let reloader: AppReloader;
let running: RunningServer;
const logs: string[] = [];

const auth = { authorization: `Bearer ${TOKEN}` };
const adminStatus = async (): Promise<ReloadStatus & { serving: { generation: string; documents: number } }> =>
  (await fetch(`${running.url}/admin/reindex`, { headers: auth })).json() as never;
const servedGeneration = async (): Promise<string> => ((await (await fetch(`${running.url}/healthz`)).json()) as { index: { generation: string } }).index.generation;
const currentFile = async (): Promise<string> => (await readFile(path.join(indexDir, 'CURRENT'), 'utf8')).trim();

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Sends searches and chats one after another until stop(); every one must succeed. Records the
 * generation /healthz reported over time, to show the switch happened once, old to new.
 */
function keepAsking() {
  const failures: string[] = [];
  const generations: string[] = [];
  let answered = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const search = await postJson(`${running.url}/api/search`, { query: '自贸试验区跨境数据流动', k: 3 });
      const chat = await postJson(`${running.url}/api/chat`, { message: '外资可以投资哪些领域？' });
      const health = await fetch(`${running.url}/healthz`);
      for (const r of [search, chat, health]) if (r.status !== 200) failures.push(`${r.url} ${r.status} ${await r.text()}`);
      const hits = ((await search.json()) as { results: unknown[] }).results;
      if (!hits.length) failures.push('search found nothing');
      const generation = ((await health.json()) as { index: { generation: string } }).index.generation;
      if (generations.at(-1) !== generation) generations.push(generation);
      answered++;
    }
  })();
  return {
    failures,
    generations,
    answered: () => answered,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

beforeAll(async () => {
  // The CLI bundle, for `policy-assistant index` in another process.
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT });
  tmp = await mkdtemp(path.join(tmpdir(), 'faults-reload-'));
  corpusDir = path.join(tmp, 'corpus');
  indexDir = path.join(tmp, 'embeddings');
  await mkdir(corpusDir);
  for (const f of ['beijing-ftz-regulations.txt', 'manifest.json']) await copyFile(path.join(ROOT, 'corpus', f), path.join(corpusDir, f));
  const embedder = await TransformersEmbedder.create({ quiet: true });
  holder = new AppHolder(await openApp({ corpusDir, indexDir, embedder, quiet: true, llm: null }));
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  reloader = new AppReloader(holder, { corpusDir, indexDir, logger: pino({ level: 'info' }, sink), pollMs: 500 });
  running = await startServer(holder.live, { port: 0, host: '127.0.0.1', logger: silent, rateLimits: RATE_LIMITS_OFF, extraRouters: [adminRouter(holder, reloader, { token: TOKEN })] });
  reloader.watch();
});
afterAll(async () => {
  reloader?.close();
  await reloader?.settled();
  await running?.close();
  await rm(tmp, { recursive: true, force: true });
});

describe('AppHolder', () => {
  it('live reads the current App on every access, so routes built once follow a swap', () => {
    const first = holder.current();
    const other: App = { ...first, index: { ...first.index, dir: '/nowhere/gen-1-other' } };
    const { live } = holder;
    expect(live.index.dir).toBe(first.index.dir);
    expect(holder.swap(other)).toBe(first);
    expect(live.index.dir).toBe('/nowhere/gen-1-other');
    expect(live.retriever).toBe(first.retriever);
    holder.swap(first);
    expect(live.index).toBe(first.index);
  });
});

describe('/admin/reindex', () => {
  it('does not exist without POLICY_ASSISTANT_ADMIN_TOKEN', async () => {
    const bare = await startServer(holder.live, { port: 0, host: '127.0.0.1', logger: silent, extraRouters: [adminRouter(holder, reloader, { token: '' })] });
    try {
      for (const method of ['GET', 'POST']) {
        const res = await fetch(`${bare.url}/admin/reindex`, { method, headers: auth });
        expect(res.status).toBe(404);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
      }
    } finally {
      await bare.close();
    }
  });

  it('answers 401 JSON without the token or with a wrong one, starting nothing', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: TOKEN }] as Record<string, string>[]) {
      const res = await fetch(`${running.url}/admin/reindex`, { method: 'POST', headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
    expect(reloader.status().state).toBe('idle');
    const bad = await fetch(`${running.url}/admin/reindex?rebuild=maybe`, { method: 'POST', headers: auth });
    expect(bad.status).toBe(400);
  });

  it('rebuilds in the background (202, progress), answers from the old index meanwhile, then swaps; conversations survive', async () => {
    const before = holder.current();
    const oldGeneration = path.basename(before.index.dir);
    const first = (await (await postJson(`${running.url}/api/chat`, { message: '自贸试验区的管理体制是什么？' })).json()) as { conversationId: string };
    expect(await before.conversations.store.history(first.conversationId)).toHaveLength(1);

    const asking = keepAsking();
    const res = await fetch(`${running.url}/admin/reindex?rebuild=true`, { method: 'POST', headers: auth });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe('/admin/reindex');
    const started = (await res.json()) as ReloadStatus & { serving: { generation: string } };
    expect(started).toMatchObject({ state: 'running', trigger: 'admin', rebuild: true });
    expect(started.serving.generation).toBe(oldGeneration);
    // A second request joins the job under way.
    const again = (await (await fetch(`${running.url}/admin/reindex`, { method: 'POST', headers: auth })).json()) as ReloadStatus;
    expect(again.jobId).toBe(started.jobId);

    const progress = await until('embedding progress', async () => {
      const s = await adminStatus();
      return s.progress && s.progress.embedded > 0 && s.state === 'running' ? s : undefined;
    });
    expect(progress.serving.generation).toBe(oldGeneration);
    expect(await servedGeneration()).toBe(oldGeneration);

    const done = await until('the rebuild', async () => {
      const s = await adminStatus();
      return s.state !== 'running' ? s : undefined;
    });
    await new Promise((r) => setTimeout(r, 300));
    await asking.stop();

    expect(done).toMatchObject({ state: 'succeeded', jobId: started.jobId, stats: { mode: 'full' } });
    expect(done.generation).not.toBe(oldGeneration);
    expect(done.serving.generation).toBe(done.generation);
    expect(await currentFile()).toBe(done.generation);
    expect(await servedGeneration()).toBe(done.generation);
    expect(asking.failures).toEqual([]);
    expect(asking.answered()).toBeGreaterThan(3);
    expect(asking.generations).toEqual([oldGeneration, done.generation]);

    const after = holder.current();
    expect(after).not.toBe(before);
    expect(after.conversations).toBe(before.conversations);
    expect(after.embedder).toBe(before.embedder);
    const followUp = (await (await postJson(`${running.url}/api/chat`, { message: '那它的职责呢？', conversationId: first.conversationId })).json()) as { conversationId: string };
    expect(followUp.conversationId).toBe(first.conversationId);
    expect(await after.conversations.store.history(first.conversationId)).toHaveLength(2);
  });
});

describe('a generation committed by another process', () => {
  it('is noticed through embeddings/CURRENT and swapped in, with requests answered throughout', async () => {
    const oldGeneration = await servedGeneration();
    const documentsBefore = holder.current().corpus.documents.length;
    await copyFile(path.join(ROOT, 'tests/fixtures/flattened-notice-excerpt.txt'), path.join(corpusDir, 'notice-excerpt.txt'));

    const asking = keepAsking();
    const out = await promisify(execFile)(process.execPath, [path.join(ROOT, 'dist/cli.js'), 'index'], {
      cwd: ROOT,
      env: { ...process.env, POLICY_ASSISTANT_CORPUS_DIR: corpusDir, POLICY_ASSISTANT_INDEX_DIR: indexDir },
    });
    expect(out.stdout).toMatch(/^index incremental: .* \(\d+ embedded, \d+ reused/);
    const committed = await currentFile();
    expect(committed).not.toBe(oldGeneration);
    await until('the swap', async () => ((await servedGeneration()) === committed ? true : undefined), 15_000);
    await asking.stop();

    expect(asking.failures).toEqual([]);
    expect(asking.generations).toEqual([oldGeneration, committed]);
    expect(holder.current().corpus.documents.length).toBe(documentsBefore + 1);
    // The server loaded what the other process built; it embedded nothing itself.
    expect(reloader.status()).toMatchObject({ state: 'succeeded', trigger: 'watch', generation: committed, stats: { mode: 'loaded', embedded: 0 } });
  });

  it('is refused when it cannot be loaded (another model): the old index keeps serving, no retry loop, until a rebuild', async () => {
    const good = await currentFile();
    const bad = 'gen-999999-othermodel';
    await cp(path.join(indexDir, good), path.join(indexDir, bad), { recursive: true });
    const manifestFile = path.join(indexDir, bad, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as { model: { id: string; sha256: string } };
    manifest.model = { ...manifest.model, id: 'someone/else-model', sha256: 'f'.repeat(64) };
    await writeFile(manifestFile, serializeManifest(manifest as IndexManifest));
    const failedBefore = logs.filter((l) => l.includes('index reload failed')).length;

    await writeFile(path.join(indexDir, 'CURRENT'), `${bad}\n`);
    const status = await until('the refusal', async () => {
      const s = reloader.status();
      return s.state === 'failed' && s.trigger === 'watch' ? s : undefined;
    }, 15_000);
    expect(status.error).toMatch(/was built with someone\/else-model .* rebuild the index/);
    expect(await servedGeneration()).toBe(good);
    expect((await postJson(`${running.url}/api/search`, { query: '跨境数据流动' })).status).toBe(200);
    // Several polls later it has not been tried again.
    await new Promise((r) => setTimeout(r, 1500));
    expect(logs.filter((l) => l.includes('index reload failed')).length).toBe(failedBefore + 1);

    // The way out the message names: a full rebuild, which replaces the refused generation.
    const res = await fetch(`${running.url}/admin/reindex?rebuild=true`, { method: 'POST', headers: auth });
    expect(res.status).toBe(202);
    const rebuilt = await until('the rebuild', async () => {
      const s = await adminStatus();
      return s.state !== 'running' ? s : undefined;
    });
    expect(rebuilt).toMatchObject({ state: 'succeeded', trigger: 'admin' });
    expect(await currentFile()).toBe(rebuilt.generation);
    expect(await servedGeneration()).toBe(rebuilt.generation);
  });
});
