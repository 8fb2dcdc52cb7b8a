import { randomBytes } from 'node:crypto';
import { ConversationIds } from './conversations-ids.ts';
import { MemoryConversationStore, type ConversationLimits, type ConversationStore, type StoreStatus, type Turn } from './conversations.ts';
import type { RedisConnection } from './conversations-redis.ts';
import type { Notice } from './types.ts';

/**
 * Conversations as the pipeline sees them: a server-issued id and its history. An id the server
 * did not issue (made up, tampered with), or whose conversation is gone, is never adopted: a new
 * conversation starts under a new id and the answer says why. When the store fails, the question
 * is answered without history and the answer says so too.
 */
export type ConversationReason = 'invalid' | 'unknown' | 'expired' | 'unavailable';

/** A notice of kind `conversation`, so a client can tell it apart from the notices about the policies. */
export type ConversationNotice = Notice & { kind: 'conversation'; reason: ConversationReason };

export interface Session {
  id: string;
  history: Turn[];
  /** Why the id given was not continued (or why history is missing); undefined when all is well. */
  reason?: ConversationReason;
}

export class Conversations {
  constructor(
    readonly store: ConversationStore,
    readonly ids: ConversationIds,
    /** The Redis connection the store uses, shared with the rate limits; undefined in memory mode. */
    readonly redis?: RedisConnection,
    private readonly now: () => number = Date.now,
  ) {}

  async resume(id?: string): Promise<Session> {
    if (id === undefined) return { id: this.ids.issue(this.now()), history: [] };
    const check = this.ids.check(id);
    if (!check.valid) return { id: this.ids.issue(this.now()), history: [], reason: 'invalid' };
    let history: Turn[] | undefined;
    try {
      history = await this.store.history(id);
    } catch {
      // Ours, so it is kept: once the store is back the conversation continues.
      return { id, history: [], reason: 'unavailable' };
    }
    if (history?.length) return { id, history };
    // Issued by us but gone: idle past the TTL (or evicted, or the store lost it).
    const expired = this.now() - check.issuedAt > this.store.limits.ttlMs;
    return { id: this.ids.issue(this.now()), history: [], reason: expired ? 'expired' : 'unknown' };
  }

  /** Stores the turn; false when the store failed (the answer is still given). */
  async record(id: string, turn: Turn): Promise<boolean> {
    try {
      await this.store.append(id, turn);
      return true;
    } catch {
      return false;
    }
  }

  status(): Promise<StoreStatus> {
    return this.store.status();
  }

  async close(): Promise<void> {
    await this.store.close();
    await this.redis?.close();
  }
}

const TEXTS: Record<ConversationReason, { zh: string; en: string }> = {
  invalid: {
    zh: '这个对话编号不是本服务签发的，已开始新的对话。',
    en: 'That conversation id was not issued by this service; a new conversation has started.',
  },
  unknown: {
    zh: '没有找到这个对话（可能已被清理），已开始新的对话。',
    en: 'That conversation was not found (it may have been cleared); a new conversation has started.',
  },
  expired: {
    zh: '此前的对话已过期，已开始新的对话。',
    en: 'The earlier conversation has expired; a new conversation has started.',
  },
  unavailable: {
    zh: '对话记录暂时不可用：本回答没有参考此前的对话，也不会被记住。',
    en: 'Conversation memory is unavailable right now: this answer does not draw on earlier turns and will not be remembered.',
  },
};

export function conversationNotice(reason: ConversationReason, lang: 'zh' | 'en'): ConversationNotice {
  return { kind: 'conversation', text: TEXTS[reason][lang], expired: false, reason };
}

/** In-memory conversations under a fresh secret (ids die with the process): tests, one-off pipelines. */
export function memoryConversations(limits: Partial<ConversationLimits> = {}, now?: () => number): Conversations {
  return new Conversations(new MemoryConversationStore(limits, now), new ConversationIds(randomBytes(32)), undefined, now);
}
