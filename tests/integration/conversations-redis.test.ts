// The same conversation bounds in both stores — turns, count, bytes, idle TTL — against a real
// redis-server on a free loopback port; then the Redis store with two connections (two replicas)
// appending at once, and Redis going away and coming back.

import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryConversationStore, type ConversationLimits, type ConversationStore, type Turn } from '../../src/answer/conversations.ts';
import { RedisConnection, RedisConversationStore } from '../../src/answer/conversations-redis.ts';
import { freePort, killHard, startRedis } from './redis-helpers.ts';

let port: number;
let redis: ChildProcess | undefined;
const connections: RedisConnection[] = [];

const connect = async (): Promise<RedisConnection> => {
  const c = await RedisConnection.open(`redis://127.0.0.1:${port}`);
  connections.push(c);
  await until(() => c.ok, 5_000);
  return c;
};

async function until(check: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

let prefixes = 0;
const stores: Record<string, (limits: Partial<ConversationLimits>) => Promise<ConversationStore>> = {
  memory: async (limits) => new MemoryConversationStore(limits),
  // A fresh key prefix per store, so the cases do not see each other's conversations.
  redis: async (limits) => new RedisConversationStore(await connect(), limits, `test:${++prefixes}:`),
};

const turn = (answer = '答复'): Turn => ({ question: '问题', searched: '问题', answer, docIds: ['d1'], at: 0 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  port = await freePort();
  redis = await startRedis(port);
}, 30_000);
afterAll(async () => {
  await Promise.all(connections.map((c) => c.close()));
  await killHard(redis);
});

describe.each(Object.keys(stores))('the %s store', (kind) => {
  const make = stores[kind]!;

  it('keeps the last maxTurns turns of a conversation', async () => {
    const store = await make({ maxTurns: 3 });
    for (let i = 0; i < 10; i++) await store.append('one', turn(`答复${i}`));
    expect((await store.history('one'))!.map((t) => t.answer)).toEqual(['答复7', '答复8', '答复9']);
    const { bytes } = await store.status();
    await store.append('one', turn('答复X'));
    expect((await store.status()).bytes).toBe(bytes);
    expect(await store.history('never')).toBeUndefined();
  });

  it('keeps at most maxConversations, evicting the least recently used', async () => {
    const store = await make({ maxConversations: 50 });
    await store.append('keep-me', turn());
    for (let i = 0; i < 500; i++) {
      await store.append(`c${i}`, turn());
      if (i % 40 === 0) await store.append('keep-me', turn());
    }
    expect((await store.status()).conversations).toBe(50);
    expect(await store.history('c0')).toBeUndefined();
    expect(await store.history('c450')).toBeUndefined();
    expect(await store.history('c499')).toHaveLength(1);
    expect((await store.history('keep-me'))!.length).toBeGreaterThan(1);
  });

  it('cuts long texts and keeps the byte budget', async () => {
    const store = await make({ maxTextChars: 1000, maxBytes: 200_000 });
    const huge = '长'.repeat(50_000);
    for (let i = 0; i < 100; i++) {
      await store.append(`c${i}`, { question: huge, searched: huge, answer: huge, docIds: Array.from({ length: 100 }, (_, j) => `d${j}`), at: 0 });
      expect((await store.status()).bytes).toBeLessThanOrEqual(200_000);
    }
    const [last] = (await store.history('c99'))!;
    expect(last!.answer).toHaveLength(1000);
    expect(last!.answer.endsWith('…')).toBe(true);
    expect(last!.docIds.length).toBeLessThanOrEqual(20);
    const { conversations } = await store.status();
    // Each turn is a few KB: the budget, not the count, limits the store.
    expect(conversations).toBeGreaterThan(5);
    expect(conversations).toBeLessThan(100);
  });

  it('forgets a conversation idle for longer than the TTL', async () => {
    const store = await make({ ttlMs: 1000 });
    await store.append('idle', turn());
    await store.append('busy', turn());
    await sleep(600);
    await store.append('busy', turn());
    expect(await store.history('idle')).toHaveLength(1);
    await sleep(600);
    expect(await store.history('idle')).toBeUndefined();
    expect(await store.history('busy')).toHaveLength(2);
    // The next append sweeps the expired one from the accounting too.
    await store.append('new', turn());
    expect((await store.status()).conversations).toBe(2);
  });
});

describe('the Redis store', () => {
  it('keeps exact accounting when two replicas append at once', async () => {
    const [a, b] = [await connect(), await connect()];
    const limits = { maxConversations: 30, maxTurns: 4 };
    const [sa, sb] = [new RedisConversationStore(a, limits, 'test:race:'), new RedisConversationStore(b, limits, 'test:race:')];
    await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? sa : sb).append(`c${i % 40}`, turn(`答复${i}`))));
    const status = await sa.status();
    expect(status.conversations).toBe(30);
    const sizes = await a.send<string[]>(['HVALS', 'test:race:bytes']);
    expect(sizes).toHaveLength(30);
    expect(sizes.reduce((n, s) => n + Number(s), 0)).toBe(status.bytes);
    expect((await sb.history('c39'))!.length).toBeLessThanOrEqual(4);
  });

  it('fails fast while Redis is down, says so, and works again once it is back', async () => {
    const conn = await connect();
    const store = new RedisConversationStore(conn, {}, 'test:down:');
    await store.append('x', turn());
    await killHard(redis);
    await until(() => !conn.ok, 5_000);
    const started = Date.now();
    await expect(store.history('x')).rejects.toThrow();
    await expect(store.append('x', turn())).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(500);
    expect(await store.status()).toMatchObject({ store: 'redis', ok: false, error: expect.any(String), since: expect.any(String) });

    redis = await startRedis(port);
    await until(() => conn.ok, 10_000);
    await store.append('y', turn());
    expect(await store.history('y')).toHaveLength(1);
    expect(await store.status()).toMatchObject({ store: 'redis', ok: true, conversations: 1 });
  }, 30_000);
});
