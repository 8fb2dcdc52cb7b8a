// Conversation memory under abuse: a client opening 100,000 conversations, or asking for very long
// answers, cannot grow the store past its bounds; idle conversations expire.

import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryConversationStore, DEFAULT_LIMITS, type Turn } from '../../src/answer/conversations.ts';
import { loadConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';
import { openApp, type App } from '../../src/app.ts';
import { startServer, type RunningServer } from '../../src/http/server.ts';
import { sharedApp } from '../app-fixture.ts';
import { CORPUS } from '../helpers.ts';
import { postJson } from './http-helpers.ts';

const turn = (answer = '答复', at = 0): Turn => ({ question: '问题', searched: '问题', answer, docIds: ['d1'], at });

describe('MemoryConversationStore bounds', () => {
  it('keeps at most maxConversations of 100,000, evicting the least recently used', async () => {
    const store = new MemoryConversationStore({ maxConversations: 1000 });
    await store.append('keep-me-0', turn());
    for (let i = 0; i < 100_000; i++) {
      await store.append(`c${i}`, turn());
      // Touching a conversation makes it recent, so it survives the flood.
      if (i % 500 === 0) await store.append('keep-me-0', turn());
      expect(store.size).toBeLessThanOrEqual(1000);
    }
    expect(store.size).toBe(1000);
    expect(await store.history('c0')).toBeUndefined();
    // The 999 newest besides keep-me-0.
    expect(await store.history('c99000')).toBeUndefined();
    expect(await store.history('c99001')).toHaveLength(1);
    expect(await store.history('c99999')).toHaveLength(1);
    expect((await store.history('keep-me-0'))!.length).toBeGreaterThan(1);
  });

  it('bounds bytes, not just counts: long answers are cut and the byte budget evicts', async () => {
    const store = new MemoryConversationStore({ maxConversations: 100_000, maxTextChars: 1000, maxBytes: 1_000_000 });
    const huge = '长'.repeat(200_000);
    for (let i = 0; i < 2000; i++) {
      await store.append(`c${i}`, { question: huge, searched: huge, answer: huge, docIds: Array.from({ length: 1000 }, (_, j) => `d${j}`), at: 0 });
      expect(store.bytes).toBeLessThanOrEqual(1_000_000);
    }
    const [last] = (await store.history('c1999'))!;
    expect(last!.answer).toHaveLength(1000);
    expect(last!.answer.endsWith('…')).toBe(true);
    expect(last!.question).toHaveLength(1000);
    expect(last!.docIds.length).toBeLessThanOrEqual(20);
    // ~6 KB a turn: the budget, not the count, is what limits the store here.
    expect(store.size).toBeLessThan(200);
    expect(store.size).toBeGreaterThan(100);
  });

  it('keeps at most maxTurns per conversation, and its bytes stay accounted', async () => {
    const store = new MemoryConversationStore({ maxTurns: 3 });
    for (let i = 0; i < 10; i++) await store.append('one', turn(`答复${i}`));
    expect((await store.history('one'))!.map((t) => t.answer)).toEqual(['答复7', '答复8', '答复9']);
    const bytes = store.bytes;
    await store.append('one', turn('答复X'));
    expect(store.bytes).toBe(bytes);
  });

  it('expires idle conversations (injected clock), also when nobody reads them again', async () => {
    // lru-cache takes a start time of 0 for "never expires", and a real clock never reads 0.
    let now = 1;
    const store = new MemoryConversationStore({ ttlMs: 60_000 }, () => now);
    await store.append('old', turn());
    for (let i = 0; i < 100; i++) await store.append(`a${i}`, turn());
    now = 30_000;
    await store.append('fresh', turn());
    expect(await store.history('old')).toHaveLength(1);
    now = 60_002;
    expect(await store.history('old')).toBeUndefined();
    // Appending sweeps the expired ones from the front, unread.
    await store.append('another', turn());
    expect(store.size).toBe(2);
    expect(await store.history('fresh')).toHaveLength(1);
    now = 200_000;
    await store.append('last', turn());
    expect(store.size).toBe(1);
    expect(store.bytes).toBeGreaterThan(0);
  });

  it('reads its limits from env, and refuses values that are not positive integers', () => {
    const { maxTextChars: _, ...bounds } = DEFAULT_LIMITS;
    expect(loadConfig({}).conversations).toEqual(bounds);
    expect(
      loadConfig({
        POLICY_ASSISTANT_MAX_CONVERSATIONS: '50',
        POLICY_ASSISTANT_CONVERSATION_TURNS: '4',
        POLICY_ASSISTANT_CONVERSATION_TTL_SECONDS: '90',
        POLICY_ASSISTANT_CONVERSATION_MAX_BYTES: '1048576',
      }).conversations,
    ).toEqual({ maxConversations: 50, maxTurns: 4, ttlMs: 90_000, maxBytes: 1_048_576 });
    const bad = () => loadConfig({ POLICY_ASSISTANT_MAX_CONVERSATIONS: '0', POLICY_ASSISTANT_CONVERSATION_TURNS: '-3', POLICY_ASSISTANT_CONVERSATION_TTL_SECONDS: 'soon' });
    expect(bad).toThrow(ConfigError);
    // One message names every bad variable.
    expect(bad).toThrow(/POLICY_ASSISTANT_MAX_CONVERSATIONS must be at least 1.*POLICY_ASSISTANT_CONVERSATION_TURNS must be a whole number.*POLICY_ASSISTANT_CONVERSATION_TTL_SECONDS must be a whole number/);
  });
});

describe('conversation memory through the HTTP API', () => {
  const MAX = 50;
  let app: App;
  let running: RunningServer;
  const store = () => app.conversations.store as MemoryConversationStore;

  beforeAll(async () => {
    const shared = await sharedApp();
    // Same index and model as the shared app, but its own small store.
    app = await openApp({ corpusDir: CORPUS, indexDir: path.dirname(shared.index.dir), embedder: shared.embedder, conversationLimits: { maxConversations: MAX }, quiet: true, llm: null });
    // Rate limits off: this is one client flooding on purpose.
    running = await startServer(app, { port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }), rateLimits: { chat: 'off', search: 'off', api: 'off' } });
  });
  afterAll(async () => {
    await running?.close();
  });

  it('2,000 chats with made-up conversation ids: none is adopted, and the store stays at its bound', async () => {
    const TOTAL = 2000;
    const CONCURRENCY = 4;
    let sent = 0;
    let maxSeen = 0;
    const worker = async () => {
      while (sent < TOTAL) {
        const i = sent++;
        const conversationId = `flood-${randomBytes(8).toString('hex')}`;
        const res = await postJson(`${running.url}/api/chat`, { message: i % 2 ? '外资银行可以参股证券公司吗' : '自贸试验区跨境数据流动', conversationId });
        expect(res.status).toBe(200);
        const answer = (await res.json()) as { conversationId: string; notices: unknown[] };
        // Each made-up id starts a conversation of the server's own, and says so.
        expect(answer.conversationId).not.toBe(conversationId);
        expect(answer.notices).toContainEqual(expect.objectContaining({ kind: 'conversation', reason: 'invalid' }));
        maxSeen = Math.max(maxSeen, store().size);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(maxSeen).toBe(MAX);
    expect(store().size).toBe(MAX);
    expect(store().bytes).toBeLessThan(MAX * 10_000);
  });
});
