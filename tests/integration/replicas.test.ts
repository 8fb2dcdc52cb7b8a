// Two replicas sharing conversations and rate limits through Redis: real `policy-assistant serve`
// processes (dist/cli.js) over one copied index folder and one data folder (where the first
// replica writes the id secret the second one reads), and a real redis-server on a free loopback
// port, started, killed and restarted by the test.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Answer } from '../../src/answer/types.ts';
import { ROOT } from '../helpers.ts';
import { postJson } from './http-helpers.ts';
import { freePort, killHard, startRedis as startRedis0 } from './redis-helpers.ts';

const CLI = path.join(ROOT, 'dist/cli.js');
const CHAT_LIMIT = 5;

let tmp: string;
let redisPort: number;
let redis: ChildProcess | undefined;
const children = new Set<ChildProcess>();

interface Replica {
  child: ChildProcess;
  url: string;
  stderr: () => string;
}

async function startRedis(): Promise<ChildProcess> {
  const child = await startRedis0(redisPort);
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

const kill = killHard;

/** `serve` on a free port with Redis, the shared index and data folder; resolves once it listens. */
function startReplica(): Promise<Replica> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0'], {
    cwd: ROOT,
    env: {
      ...process.env,
      EMBEDDING_MODEL_DIR: process.env.EMBEDDING_MODEL_DIR ?? path.join(ROOT, '.cache/models'),
      POLICY_ASSISTANT_INDEX_DIR: path.join(tmp, 'index'),
      POLICY_ASSISTANT_CACHE_DIR: path.join(tmp, 'data'),
      POLICY_ASSISTANT_REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      POLICY_ASSISTANT_SECRET: '',
      POLICY_ASSISTANT_LLM_BASE_URL: '',
      POLICY_ASSISTANT_RATE_LIMIT_CHAT: `${CHAT_LIMIT}/60s`,
      // Each test names its own client address, so one test's requests do not use another's quota.
      POLICY_ASSISTANT_TRUST_PROXY: 'loopback',
      POLICY_ASSISTANT_QUIET: '',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`replica did not start:\n${stderr}`)), 90_000);
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d;
      const m = /serving on (http:\/\/\S+) /.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, stderr: () => stderr });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`replica exited (${code}) before listening:\n${stderr}`));
    });
  });
}

const client = (address: string) => ({ 'x-forwarded-for': address });

async function chat(r: Replica, address: string, message: string, conversationId?: string): Promise<Answer> {
  const res = await postJson(`${r.url}/api/chat`, { message, conversationId }, client(address));
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Answer;
}

const conversationNotices = (a: Answer) => a.notices.filter((n) => n.kind === 'conversation');

async function health(r: Replica): Promise<{ conversations: { store: string; ok: boolean; conversations?: number; error?: string } }> {
  const res = await fetch(`${r.url}/healthz`);
  expect(res.status).toBe(200);
  return (await res.json()) as { conversations: { store: string; ok: boolean; error?: string } };
}

async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Empty messages, refused (400) after they are counted: cheap requests that still count. */
async function cheapRun(on: ('a' | 'b')[], address: string): Promise<number[]> {
  const statuses: number[] = [];
  for (const r of on) statuses.push((await postJson(`${(r === 'a' ? a : b).url}/api/chat`, { message: '' }, client(address))).status);
  return statuses;
}

// A question, and a follow-up that means nothing without it.
const FIRST = '自贸试验区的管理体制是什么？';
const FOLLOW_UP = '那它的职责呢？';

let a: Replica;
let b: Replica;

beforeAll(async () => {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT });
  tmp = await mkdtemp(path.join(tmpdir(), 'pa-replicas-'));
  // The built index, so the replicas open it instead of embedding the corpus again.
  await cp(path.join(ROOT, 'embeddings'), path.join(tmp, 'index'), { recursive: true });
  redisPort = await freePort();
  redis = await startRedis();
  // One after the other: the first creates the secret, the second reads it.
  a = await startReplica();
  b = await startReplica();
}, 180_000);

afterAll(async () => {
  await Promise.all([...children].map((c) => kill(c)));
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('two replicas with Redis', () => {
  it('share one secret kept in the data folder, readable by its owner only', async () => {
    const s = await stat(path.join(tmp, 'data', 'secret'));
    expect(s.mode & 0o777).toBe(0o600);
    for (const r of [a, b]) expect((await health(r)).conversations).toMatchObject({ store: 'redis', ok: true });
  });

  it('continue a conversation started on A on B, in context, after A is killed', async () => {
    const first = await chat(a, '198.51.100.1', FIRST);
    expect(conversationNotices(first)).toEqual([]);
    expect(first.conversationId).toMatch(/^[A-Za-z0-9_-]{27}\.[A-Za-z0-9_-]{43}$/);
    await kill(a.child);

    const next = await chat(b, '198.51.100.1', FOLLOW_UP, first.conversationId);
    expect(next.conversationId).toBe(first.conversationId);
    expect(conversationNotices(next)).toEqual([]);
    // Searched together with the turn it follows, which only the shared store could supply.
    expect(next.searched).toBe(`${first.searched} ${FOLLOW_UP}`);
    const alone = await chat(b, '198.51.100.2', FOLLOW_UP);
    expect(alone.searched).toBe(FOLLOW_UP);
    expect(alone.conversationId).not.toBe(first.conversationId);

    a = await startReplica();
    // And back on the new A, with both turns.
    const third = await chat(a, '198.51.100.1', '还有别的吗？', first.conversationId);
    expect(third.conversationId).toBe(first.conversationId);
    expect(conversationNotices(third)).toEqual([]);
  }, 120_000);

  it('start a new conversation, with a notice, for a made-up or a tampered id', async () => {
    const mine = await chat(a, '198.51.100.3', FIRST);
    const [payload, mac] = mine.conversationId.split('.') as [string, string];
    const flip = (s: string, i: number) => `${s.slice(0, i)}${s[i] === 'A' ? 'B' : 'A'}${s.slice(i + 1)}`;
    for (const id of ['aaaaaaaa', `${flip(payload, 5)}.${mac}`, `${payload}.${flip(mac, 10)}`]) {
      const theirs = await chat(b, '198.51.100.4', FOLLOW_UP, id);
      expect(theirs.conversationId).not.toBe(id);
      expect(theirs.conversationId).not.toBe(mine.conversationId);
      expect(conversationNotices(theirs)).toEqual([{ kind: 'conversation', reason: 'invalid', expired: false, text: expect.stringContaining('新的对话') }]);
      // Nothing of the other conversation was used.
      expect(theirs.searched).toBe(FOLLOW_UP);
    }
  }, 60_000);

  it('count rate limits across both replicas', async () => {
    // 3 on A and 2 on B use up the limit of 5; the 6th, on B, is refused.
    expect(await cheapRun(['a', 'a', 'a', 'b', 'b'], '198.51.100.9')).toEqual([400, 400, 400, 400, 400]);
    const cheap = (r: Replica) => postJson(`${r.url}/api/chat`, { message: '' }, client('198.51.100.9'));
    const limited = await cheap(b);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    expect((await cheap(a)).status).toBe(429);
    // Another client is not affected.
    expect((await postJson(`${a.url}/api/chat`, { message: '' }, client('198.51.100.10'))).status).toBe(400);
  });

  it('answer without history while Redis is down, say so in the answer and /healthz, and recover when it is back', async () => {
    const before = await chat(a, '198.51.100.20', FIRST);
    expect((await health(a)).conversations).toMatchObject({ store: 'redis', ok: true, conversations: expect.any(Number) });

    await kill(redis);
    const during = await chat(b, '198.51.100.20', FOLLOW_UP, before.conversationId);
    expect(during.answer.length).toBeGreaterThan(0);
    // The server's own id is kept, so the conversation can go on once Redis is back.
    expect(during.conversationId).toBe(before.conversationId);
    expect(conversationNotices(during)).toEqual([{ kind: 'conversation', reason: 'unavailable', expired: false, text: expect.stringContaining('对话记录暂时不可用') }]);
    expect(during.searched).toBe(FOLLOW_UP);
    const fresh = await chat(a, '198.51.100.21', FIRST);
    expect(conversationNotices(fresh).map((n) => n.reason)).toEqual(['unavailable']);
    for (const r of [a, b]) expect((await health(r)).conversations).toMatchObject({ store: 'redis', ok: false, error: expect.any(String) });
    // Rate limits still hold meanwhile, counted by each replica on its own.
    expect(await cheapRun(['a', 'a', 'a', 'a', 'a', 'a', 'b'], '198.51.100.30')).toEqual([400, 400, 400, 400, 400, 429, 400]);

    redis = await startRedis();
    await until(async () => (await health(a)).conversations.ok && (await health(b)).conversations.ok, 15_000);
    // This Redis kept nothing (no persistence): the old id is ours but unknown, so a new conversation starts.
    const lost = await chat(b, '198.51.100.22', FOLLOW_UP, before.conversationId);
    expect(conversationNotices(lost).map((n) => n.reason)).toEqual(['unknown']);
    expect(lost.conversationId).not.toBe(before.conversationId);
    // Rate limits are counted across replicas again (Redis lost its scripts too).
    expect(await cheapRun(['a', 'a', 'a', 'b', 'b', 'b'], '198.51.100.31')).toEqual([400, 400, 400, 400, 400, 429]);
    // New conversations are shared again.
    const again = await chat(a, '198.51.100.22', FIRST);
    expect(conversationNotices(again)).toEqual([]);
    const onB = await chat(b, '198.51.100.22', FOLLOW_UP, again.conversationId);
    expect(onB.conversationId).toBe(again.conversationId);
    expect(onB.searched).toBe(`${again.searched} ${FOLLOW_UP}`);
  }, 90_000);

  it('stop on SIGTERM with exit code 0: the Redis connection does not keep them alive', async () => {
    const exited = new Promise<number | null>((resolve) => b.child.once('exit', (code) => resolve(code)));
    const started = Date.now();
    b.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 20_000);
});
