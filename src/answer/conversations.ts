import { randomUUID } from 'node:crypto';

/**
 * Conversation memory: bounded in number of conversations and turns, expiring when idle, so a
 * client opening many conversations cannot exhaust memory.
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
}

export const DEFAULT_LIMITS: ConversationLimits = { maxConversations: 10_000, maxTurns: 20, ttlMs: 30 * 60_000 };

export class ConversationStore {
  // A Map iterates in insertion order; re-inserting on use makes the first entry the least recent.
  private readonly conversations = new Map<string, { turns: Turn[]; touched: number }>();

  constructor(
    readonly limits: ConversationLimits = DEFAULT_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.conversations.size;
  }

  /** The turns of a live conversation, or [] for an unknown or expired id. */
  history(id: string): Turn[] {
    const c = this.conversations.get(id);
    if (!c) return [];
    if (this.now() - c.touched > this.limits.ttlMs) {
      this.conversations.delete(id);
      return [];
    }
    return c.turns;
  }

  newId(): string {
    return randomUUID();
  }

  append(id: string, turn: Turn): void {
    const turns = [...this.history(id), turn].slice(-this.limits.maxTurns);
    this.conversations.delete(id);
    this.conversations.set(id, { turns, touched: this.now() });
    this.evict();
  }

  private evict(): void {
    const now = this.now();
    for (const [id, c] of this.conversations) {
      if (this.conversations.size <= this.limits.maxConversations && now - c.touched <= this.limits.ttlMs) break;
      this.conversations.delete(id);
    }
  }
}
