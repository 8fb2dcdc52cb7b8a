/**
 * Conversation memory: bounded in number of conversations, turns per conversation and total
 * (approximate) bytes, with each stored text cut to a maximum length, and expiring when idle — so
 * a client opening many conversations, or asking for very long answers, cannot exhaust memory.
 * Stores sit behind the ConversationStore port: this in-process one by default, Redis
 * (conversations-redis.ts) so replicas share conversations. Ids are issued and signed by
 * conversations-ids.ts; conversations-service.ts ties the two together for the pipeline.
 */
import { LRUCache } from 'lru-cache';

export interface Turn {
  question: string;
  /** The question as searched (follow-ups rewritten with context). */
  searched: string;
  answer: string;
  docIds: string[];
  at: number;
}

export interface ConversationLimits {
  maxConversations: number;
  maxTurns: number;
  ttlMs: number;
  /**
   * Longest question, searched text or answer kept per turn, in characters. History only feeds
   * follow-up rewriting (the last 300 characters of `searched`) and the LLM prompt (the first 400
   * of each answer), so a cut well above those loses nothing that is used.
   */
  maxTextChars: number;
  /** Budget for all stored turns together, in approximate bytes; least recent conversations go first. */
  maxBytes: number;
}

export const DEFAULT_LIMITS: ConversationLimits = {
  maxConversations: 10_000,
  maxTurns: 20,
  ttlMs: 30 * 60_000,
  maxTextChars: 2_000,
  maxBytes: 64 * 1024 * 1024,
};

const MAX_DOC_IDS = 20;
// Per-turn overhead beyond the strings (object, array, map entry), a deliberate overestimate.
export const TURN_OVERHEAD_BYTES = 200;

/** JS strings are UTF-16 in memory: two bytes a code unit, plus the fixed overhead. */
export const turnBytes = (t: Turn): number => TURN_OVERHEAD_BYTES + 2 * (t.question.length + t.searched.length + t.answer.length + t.docIds.reduce((n, id) => n + id.length, 0));

/** What /healthz shows of a store. */
export interface StoreStatus {
  store: 'memory' | 'redis';
  ok: boolean;
  /** Live conversations, when the store could be asked. */
  conversations?: number;
  bytes?: number;
  /** Why the store is not ok, in our own words (never a URL or password). */
  error?: string;
  /** Since when it has been down. */
  since?: string;
}

/**
 * The port: where turns are kept. A store may fail (a network store that is down); the caller then
 * answers without history and says so. Ids are opaque here: only server-issued ones reach a store.
 */
export interface ConversationStore {
  readonly kind: 'memory' | 'redis';
  readonly limits: ConversationLimits;
  /** The turns of a live conversation, or undefined for an unknown or expired id. */
  history(id: string): Promise<Turn[] | undefined>;
  /** Appends a turn (cut to the text bounds), keeping the turn, byte and idle-time bounds. */
  append(id: string, turn: Turn): Promise<void>;
  status(): Promise<StoreStatus>;
  close(): Promise<void>;
}

/** Copies the turn with every text cut to maxTextChars, so one huge answer cannot take the byte budget. */
export function boundedTurn(turn: Turn, max: number): Turn {
  return {
    question: turn.question.slice(0, max),
    // rewriteFollowUp reads the end of `searched`, so that is the part kept.
    searched: turn.searched.slice(-max),
    answer: turn.answer.length > max ? `${turn.answer.slice(0, max - 1)}…` : turn.answer,
    docIds: turn.docIds.slice(0, MAX_DOC_IDS),
    at: turn.at,
  };
}

/**
 * The default store: in this process's memory, lost on restart and not shared between replicas.
 * lru-cache keeps the bounds: conversations (max), bytes (maxSize, turns measured by turnBytes) and
 * idle time (ttl, renewed by each append), dropping the least recently used first.
 */
export class MemoryConversationStore implements ConversationStore {
  readonly kind = 'memory' as const;
  readonly limits: ConversationLimits;
  private readonly conversations: LRUCache<string, Turn[]>;

  constructor(limits: Partial<ConversationLimits> = {}, now: () => number = Date.now) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.conversations = new LRUCache<string, Turn[]>({
      max: this.limits.maxConversations,
      maxSize: this.limits.maxBytes,
      sizeCalculation: (turns) => Math.max(1, turns.reduce((n, t) => n + turnBytes(t), 0)),
      ttl: this.limits.ttlMs,
      // A read does not renew a conversation: only a new turn does.
      updateAgeOnGet: false,
      perf: { now },
      // Read the clock on every check (the default caches it for 1 ms with a timer).
      ttlResolution: 0,
    });
  }

  get size(): number {
    return this.conversations.size;
  }

  /** Approximate bytes held by all stored turns; never above limits.maxBytes after an append. */
  get bytes(): number {
    return this.conversations.calculatedSize;
  }

  async history(id: string): Promise<Turn[] | undefined> {
    return this.conversations.get(id);
  }

  async append(id: string, turn: Turn): Promise<void> {
    const turns = [...(this.conversations.get(id) ?? []), boundedTurn(turn, this.limits.maxTextChars)].slice(-this.limits.maxTurns);
    this.conversations.set(id, turns);
    // Expired conversations nobody reads again free their memory too (a scan; ~µs per thousand).
    this.conversations.purgeStale();
  }

  async status(): Promise<StoreStatus> {
    return { store: 'memory', ok: true, conversations: this.size, bytes: this.bytes };
  }

  async close(): Promise<void> {}
}
