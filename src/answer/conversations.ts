import { randomUUID } from 'node:crypto';

/**
 * Conversation memory: bounded in number of conversations, turns per conversation and total
 * (approximate) bytes, with each stored text cut to a maximum length, and expiring when idle — so
 * a client opening many conversations, or asking for very long answers, cannot exhaust memory.
 */
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
const TURN_OVERHEAD_BYTES = 200;

/** JS strings are UTF-16 in memory: two bytes a code unit, plus the fixed overhead. */
const turnBytes = (t: Turn): number => TURN_OVERHEAD_BYTES + 2 * (t.question.length + t.searched.length + t.answer.length + t.docIds.reduce((n, id) => n + id.length, 0));

interface Conversation {
  turns: Turn[];
  touched: number;
  bytes: number;
}

export class ConversationStore {
  readonly limits: ConversationLimits;
  // A Map iterates in insertion order; re-inserting on use makes the first entry the least recent.
  private readonly conversations = new Map<string, Conversation>();
  private storedBytes = 0;

  constructor(
    limits: Partial<ConversationLimits> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  get size(): number {
    return this.conversations.size;
  }

  /** Approximate bytes held by all stored turns; never above limits.maxBytes after an append. */
  get bytes(): number {
    return this.storedBytes;
  }

  /** The turns of a live conversation, or [] for an unknown or expired id. */
  history(id: string): Turn[] {
    const c = this.conversations.get(id);
    if (!c) return [];
    if (this.now() - c.touched > this.limits.ttlMs) {
      this.remove(id, c);
      return [];
    }
    return c.turns;
  }

  newId(): string {
    return randomUUID();
  }

  append(id: string, turn: Turn): void {
    const turns = [...this.history(id), this.bounded(turn)].slice(-this.limits.maxTurns);
    const old = this.conversations.get(id);
    if (old) this.remove(id, old);
    const bytes = turns.reduce((n, t) => n + turnBytes(t), 0);
    this.conversations.set(id, { turns, touched: this.now(), bytes });
    this.storedBytes += bytes;
    this.evict();
  }

  /** Copies the turn with every text cut to maxTextChars, so one huge answer cannot take the byte budget. */
  private bounded(turn: Turn): Turn {
    const max = this.limits.maxTextChars;
    return {
      question: turn.question.slice(0, max),
      // rewriteFollowUp reads the end of `searched`, so that is the part kept.
      searched: turn.searched.slice(-max),
      answer: turn.answer.length > max ? `${turn.answer.slice(0, max - 1)}…` : turn.answer,
      docIds: turn.docIds.slice(0, MAX_DOC_IDS),
      at: turn.at,
    };
  }

  private remove(id: string, c: Conversation): void {
    this.conversations.delete(id);
    this.storedBytes -= c.bytes;
  }

  /** Drops least recently used conversations while over a bound, and expired ones at the front. */
  private evict(): void {
    const now = this.now();
    for (const [id, c] of this.conversations) {
      const within = this.conversations.size <= this.limits.maxConversations && this.storedBytes <= this.limits.maxBytes;
      if (within && now - c.touched <= this.limits.ttlMs) break;
      this.remove(id, c);
    }
  }
}
