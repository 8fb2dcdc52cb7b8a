import { createHash } from 'node:crypto';
import type { createClient } from 'redis';
import { boundedTurn, DEFAULT_LIMITS, TURN_OVERHEAD_BYTES, type ConversationLimits, type ConversationStore, type StoreStatus, type Turn } from './conversations.ts';

/**
 * Conversations in Redis, so replicas share them: one list of JSON turns per conversation, trimmed
 * to maxTurns and expiring maxTtl after its last turn (PEXPIRE), plus a sorted set by last use and
 * a hash of each conversation's bytes, so the count and byte bounds evict the least recently used
 * as the memory store does. An append is one Lua script, so concurrent replicas keep the
 * accounting exact. Single-instance Redis (the script touches keys it derives).
 */

type RedisModule = typeof import('redis');

/** One client per process, shared by the conversation store and the rate limits. */
export class RedisConnection {
  readonly client: ReturnType<typeof createClient>;
  private readonly ErrorReply: RedisModule['ErrorReply'];
  private down?: { error: string; since: number };
  /** The state last reported through onChange, so each change is reported once. */
  private reported?: boolean;
  private closed = false;

  /** The client library is loaded only here, so processes without Redis never load it (~0.4 s of CPU). */
  static async open(url: string, opts: { commandTimeoutMs?: number; onChange?: (ok: boolean, error?: string) => void } = {}): Promise<RedisConnection> {
    return new RedisConnection(await import('redis'), url, opts);
  }

  private constructor(
    redis: RedisModule,
    url: string,
    private readonly opts: { commandTimeoutMs?: number; onChange?: (ok: boolean, error?: string) => void } = {},
  ) {
    this.ErrorReply = redis.ErrorReply;
    this.client = redis.createClient({
      url,
      // Fail at once while disconnected instead of queueing: the chat answers without history.
      disableOfflineQueue: true,
      commandOptions: { timeout: opts.commandTimeoutMs ?? 1000 },
      socket: { connectTimeout: 2000, reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 1000) },
    });
    this.down = { error: 'connecting', since: Date.now() };
    // Without a listener an error event would crash the process; reconnecting is the client's job.
    this.client.on('error', (e: Error) => this.markDown(describe(e)));
    this.client.on('ready', () => this.markUp());
    this.client.connect().catch((e: Error) => this.markDown(describe(e)));
  }

  get ok(): boolean {
    return !this.down && this.client.isReady;
  }

  get state(): { ok: boolean; error?: string; since?: string } {
    if (this.ok) return { ok: true };
    const down = this.down ?? { error: 'disconnected', since: Date.now() };
    return { ok: false, error: down.error, since: new Date(down.since).toISOString() };
  }

  /** A command; a connection failure marks the connection down until it is ready again. */
  async send<T>(args: string[]): Promise<T> {
    try {
      const reply = (await this.client.sendCommand(args)) as T;
      if (this.down && this.client.isReady) this.markUp();
      return reply;
    } catch (e) {
      if (!this.isReply(e)) this.markDown(describe(e as Error));
      throw e;
    }
  }

  /** An error reply from the server (NOSCRIPT, WRONGTYPE…), as opposed to a failed connection. */
  isReply(e: unknown): boolean {
    return e instanceof this.ErrorReply;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.client.isOpen) this.client.destroy();
    } catch {
      // Already closed.
    }
  }

  private markDown(error: string): void {
    if (this.closed) return;
    this.down ??= { error, since: Date.now() };
    this.down.error = error;
    this.report(false, error);
  }

  private markUp(): void {
    this.down = undefined;
    this.report(true);
  }

  private report(ok: boolean, error?: string): void {
    if (this.reported === ok) return;
    this.reported = ok;
    this.opts.onChange?.(ok, error);
  }
}

/** Our own words: the client's messages may name hosts, and /healthz is public. */
function describe(e: Error): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (/timeout/i.test(e.name) || /timeout|timed out/i.test(e.message)) return 'timed out';
  if (e.name === 'ClientClosedError' || e.name === 'ClientOfflineError') return 'disconnected';
  if (/NOAUTH|WRONGPASS/.test(e.message)) return 'authentication failed';
  return 'disconnected';
}

// KEYS: list, lru zset, bytes hash, total. ARGV: turn json, maxTurns, ttlMs, now, maxConversations,
// maxBytes, id, list key prefix, per-turn overhead. Returns the conversation's bytes.
const APPEND = `
local list, lru, sizes, total = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local maxTurns, ttl, now = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local maxConv, maxBytes, id, prefix, overhead = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7], ARGV[8], tonumber(ARGV[9])
local function drop(cid)
  local b = tonumber(redis.call('HGET', sizes, cid) or '0')
  redis.call('DECRBY', total, b)
  redis.call('HDEL', sizes, cid)
  redis.call('ZREM', lru, cid)
  redis.call('DEL', prefix .. cid)
end
if redis.call('EXISTS', list) == 0 and redis.call('HEXISTS', sizes, id) == 1 then drop(id) end
redis.call('RPUSH', list, ARGV[1])
redis.call('LTRIM', list, -maxTurns, -1)
redis.call('PEXPIRE', list, ttl)
local bytes = 0
for _, t in ipairs(redis.call('LRANGE', list, 0, -1)) do bytes = bytes + #t + overhead end
local old = tonumber(redis.call('HGET', sizes, id) or '0')
redis.call('HSET', sizes, id, bytes)
redis.call('INCRBY', total, bytes - old)
redis.call('ZADD', lru, now, id)
for _, cid in ipairs(redis.call('ZRANGEBYSCORE', lru, '-inf', now - ttl, 'LIMIT', 0, 100)) do drop(cid) end
while redis.call('ZCARD', lru) > maxConv or tonumber(redis.call('GET', total) or '0') > maxBytes do
  local oldest = redis.call('ZRANGE', lru, 0, 0)[1]
  if not oldest then break end
  drop(oldest)
end
return bytes
`;
const APPEND_SHA = createHash('sha1').update(APPEND).digest('hex');

export class RedisConversationStore implements ConversationStore {
  readonly kind = 'redis' as const;
  readonly limits: ConversationLimits;
  private readonly keys: { list: string; lru: string; sizes: string; total: string };

  constructor(
    private readonly redis: RedisConnection,
    limits: Partial<ConversationLimits> = {},
    prefix = 'policy-assistant:conv:',
    private readonly now: () => number = Date.now,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.keys = { list: `${prefix}turns:`, lru: `${prefix}lru`, sizes: `${prefix}bytes`, total: `${prefix}total` };
  }

  async history(id: string): Promise<Turn[] | undefined> {
    const raw = await this.redis.send<string[]>(['LRANGE', this.keys.list + id, '0', '-1']);
    const turns = raw.flatMap((r) => {
      try {
        return [JSON.parse(r) as Turn];
      } catch {
        return [];
      }
    });
    return turns.length ? turns : undefined;
  }

  async append(id: string, turn: Turn): Promise<void> {
    const { list, lru, sizes, total } = this.keys;
    const l = this.limits;
    const args = [
      '4', list + id, lru, sizes, total,
      JSON.stringify(boundedTurn(turn, l.maxTextChars)), String(l.maxTurns), String(l.ttlMs), String(this.now()),
      String(l.maxConversations), String(l.maxBytes), id, list, String(TURN_OVERHEAD_BYTES),
    ];
    try {
      await this.redis.send(['EVALSHA', APPEND_SHA, ...args]);
    } catch (e) {
      // First use, or Redis restarted and forgot its scripts.
      if (!this.redis.isReply(e) || !/^NOSCRIPT/.test((e as Error).message)) throw e;
      await this.redis.send(['EVAL', APPEND, ...args]);
    }
  }

  async status(): Promise<StoreStatus> {
    const state = this.redis.state;
    if (!state.ok) return { store: 'redis', ...state };
    try {
      const [count, bytes] = await Promise.all([this.redis.send<number>(['ZCARD', this.keys.lru]), this.redis.send<string | null>(['GET', this.keys.total])]);
      return { store: 'redis', ok: true, conversations: Number(count), bytes: Number(bytes ?? 0) };
    } catch {
      return { store: 'redis', ...this.redis.state, ok: false };
    }
  }

  async close(): Promise<void> {}
}
