import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConversationIds, loadSecret } from '../../../src/answer/conversations-ids.ts';
import { Conversations } from '../../../src/answer/conversations-service.ts';
import { MemoryConversationStore, type Turn } from '../../../src/answer/conversations.ts';
import { loadConfig } from '../../../src/config.ts';

const turn: Turn = { question: '问题', searched: '问题', answer: '答复', docIds: [], at: 0 };
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
const tempDir = async () => {
  const d = await mkdtemp(path.join(tmpdir(), 'pa-secret-'));
  dirs.push(d);
  return d;
};

describe('conversation ids', () => {
  const ids = new ConversationIds(randomBytes(32));

  it('are 128 random bits and an issue time, signed; every changed character is refused', () => {
    const id = ids.issue(1_700_000_000_000);
    expect(id).toMatch(/^[A-Za-z0-9_-]{27}\.[A-Za-z0-9_-]{43}$/);
    expect(ids.check(id)).toEqual({ valid: true, issuedAt: 1_700_000_000_000 });
    expect(ids.issue()).not.toBe(ids.issue());
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < id.length; i++) {
      if (id[i] === '.') continue;
      for (const c of [alphabet[(alphabet.indexOf(id[i]!) + 1) % 64]!, alphabet[(alphabet.indexOf(id[i]!) + 32) % 64]!])
        expect(ids.check(`${id.slice(0, i)}${c}${id.slice(i + 1)}`).valid, `position ${i}`).toBe(false);
    }
  });

  it('are refused under another secret, and anything made up is refused', () => {
    const other = new ConversationIds(randomBytes(32));
    expect(other.check(ids.issue()).valid).toBe(false);
    for (const made of ['aaaaaaaa', '00000000-0000-0000-0000-000000000000', '', '.', `${'A'.repeat(27)}.${'A'.repeat(43)}`, `${ids.issue()}x`])
      expect(ids.check(made).valid, made).toBe(false);
  });

  it('need a secret of at least 32 bytes', () => {
    expect(() => new ConversationIds('short')).toThrow(/at least 32/);
  });
});

describe('the secret', () => {
  it('comes from POLICY_ASSISTANT_SECRET when set, refused when too short (without echoing it)', async () => {
    const dir = await tempDir();
    const secret = 'x'.repeat(40);
    expect(await loadSecret(dir, loadConfig({ POLICY_ASSISTANT_SECRET: secret }).secret)).toBe(secret);
    expect(() => loadConfig({ POLICY_ASSISTANT_SECRET: 'hunter2-hunter2' })).toThrow(/^POLICY_ASSISTANT_SECRET must be at least 32 characters[^"]*$/);
    await expect(loadSecret(dir, 'hunter2')).rejects.toThrow(/POLICY_ASSISTANT_SECRET must be at least 32 characters/);
    await expect(stat(path.join(dir, 'secret'))).rejects.toThrow();
  });

  it('goes with a Redis URL the configuration checks, without echoing it', () => {
    expect(loadConfig({ POLICY_ASSISTANT_REDIS_URL: 'redis://:pw@10.0.0.5:6379/2' }).redisUrl).toBe('redis://:pw@10.0.0.5:6379/2');
    expect(loadConfig({}).redisUrl).toBeUndefined();
    expect(() => loadConfig({ POLICY_ASSISTANT_REDIS_URL: 'http://user:topsecret@host' })).toThrow(/^POLICY_ASSISTANT_REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL[^"]*$/);
  });

  it('is otherwise created once in the data folder (mode 0600) and kept across restarts, also when replicas race', async () => {
    const dir = await tempDir();
    const raced = await Promise.all(Array.from({ length: 8 }, () => loadSecret(path.join(dir, 'data'))));
    expect(new Set(raced).size).toBe(1);
    expect(raced[0]!.length).toBeGreaterThanOrEqual(32);
    expect((await stat(path.join(dir, 'data', 'secret'))).mode & 0o777).toBe(0o600);
    expect(await loadSecret(path.join(dir, 'data'))).toBe(raced[0]);
    expect((await readFile(path.join(dir, 'data', 'secret'), 'utf8')).trim()).toBe(raced[0]);
  });

  it('is refused when its file is damaged, with one line saying what to do', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'secret'), 'abc\n');
    await expect(loadSecret(dir)).rejects.toThrow(/is damaged; delete it .* or set POLICY_ASSISTANT_SECRET/);
  });
});

describe('resuming a conversation', () => {
  it('continues an issued id, and says why it starts anew for a made-up, unknown or expired one', async () => {
    let now = 1_700_000_000_000;
    const c = new Conversations(new MemoryConversationStore({ ttlMs: 60_000 }, () => now), new ConversationIds(randomBytes(32)), undefined, () => now);
    const fresh = await c.resume();
    expect(fresh).toEqual({ id: expect.any(String), history: [] });
    await c.record(fresh.id, turn);
    expect(await c.resume(fresh.id)).toEqual({ id: fresh.id, history: [turn] });

    const madeUp = await c.resume('aaaaaaaa');
    expect(madeUp.reason).toBe('invalid');
    expect(madeUp.id).not.toBe('aaaaaaaa');

    // Issued here, never used: unknown while it could still be alive.
    const unused = (await c.resume()).id;
    now += 30_000;
    const unknown = await c.resume(unused);
    expect(unknown.reason).toBe('unknown');
    expect(unknown.id).not.toBe(unused);

    now += 61_000;
    const expired = await c.resume(fresh.id);
    expect(expired.reason).toBe('expired');
    expect(expired.id).not.toBe(fresh.id);
    expect(expired.history).toEqual([]);
  });
});
