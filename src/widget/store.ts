import type { Answer } from './api.ts';

/** What a reload within the tab restores: the conversation, its rendered messages, and whether the panel was open. */
export type Message = { role: 'user'; text: string } | { role: 'assistant'; answer: Answer };

export interface Saved {
  conversationId?: string;
  messages: Message[];
  open: boolean;
}

export const emptyState = (): Saved => ({ messages: [], open: false });

/** sessionStorage may be unavailable (privacy modes, sandboxed frames); the widget then just forgets. */
export class SessionStore {
  constructor(private readonly key: string) {}

  load(): Saved {
    try {
      const raw = sessionStorage.getItem(this.key);
      const saved = raw ? (JSON.parse(raw) as Saved) : undefined;
      return saved && Array.isArray(saved.messages) ? saved : emptyState();
    } catch {
      return emptyState();
    }
  }

  save(state: Saved): void {
    try {
      sessionStorage.setItem(this.key, JSON.stringify(state));
    } catch {
      // Storage full or blocked: the conversation still works, it just won't survive a reload.
    }
  }
}
