import { ApiError, fetchClause, streamChat, type Answer, type Citation, type ClauseView } from './api.ts';
import { h, icon, ICONS } from './dom.ts';
import { strings, type Lang, type Strings } from './i18n.ts';
import { emptyState, type Message, type Saved, type SessionStore } from './store.ts';
import { CSS } from './styles.ts';

export interface WidgetConfig {
  /** Origin of the API, without a trailing slash. */
  api: string;
  lang: Lang;
  mode: 'floating' | 'inline';
  /** Give up on a response that sends nothing for this long. */
  stallMs: number;
}

/** A clause to show: a citation (with its quote) or a related clause (label only). */
type ClauseRef = Pick<Citation, 'id' | 'label'> & Partial<Citation>;

const MARKER = /\[(\d+)\]/g;

/** The assistant's UI inside one shadow root: launcher (floating mode), chat panel, clause view. */
export class AssistantWidget {
  private readonly t: Strings;
  private state: Saved;
  private readonly root: HTMLDivElement;
  private readonly panel: HTMLElement;
  private readonly log: HTMLDivElement;
  private readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly clausePane: HTMLDivElement;
  private readonly launcher?: HTMLButtonElement;
  private pending?: AbortController;
  private clauseRequest?: AbortController;
  /** The citation that opened the clause view, which gets focus back when it closes. */
  private clauseTrigger?: HTMLElement;

  constructor(
    host: HTMLElement,
    private readonly cfg: WidgetConfig,
    private readonly store: SessionStore,
  ) {
    this.t = strings(cfg.lang);
    this.state = store.load();
    host.dataset.mode = cfg.mode;
    const shadow = host.attachShadow({ mode: 'open' });
    const t = this.t;

    this.log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': t.title });
    this.input = h('textarea', { rows: '1', placeholder: t.placeholder, 'aria-label': t.inputLabel, enterkeyhint: 'send' });
    this.sendButton = h('button', { type: 'submit', 'aria-label': t.send }, icon(ICONS.send), t.send);
    this.clausePane = h('div', { class: 'clause', role: 'region', hidden: true });
    const form = h('form', { class: 'form' }, this.input, this.sendButton);
    const newChat = h('button', { type: 'button', class: 'new' }, t.newChat);
    const close = cfg.mode === 'floating' && h('button', { type: 'button', class: 'close', 'aria-label': t.close, title: t.close }, icon(ICONS.close));
    const titleId = 'pa-title';
    this.panel = h(
      'section',
      cfg.mode === 'floating'
        ? { class: 'panel', id: 'pa-panel', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': titleId, hidden: true }
        : { class: 'panel', role: 'region', 'aria-labelledby': titleId },
      h('header', { class: 'head' }, h('div', { class: 'titles' }, h('h2', { id: titleId }, t.title), h('p', {}, t.subtitle)), newChat, close),
      h('div', { class: 'main' }, this.log, form, h('p', { class: 'foot' }, t.disclaimer), this.clausePane),
    );
    this.root = h('div', { class: `root ${cfg.mode}`, lang: cfg.lang === 'en' ? 'en' : 'zh-CN' });
    if (cfg.mode === 'floating') {
      this.launcher = h(
        'button',
        { type: 'button', class: 'launcher', 'aria-haspopup': 'dialog', 'aria-expanded': 'false', 'aria-controls': 'pa-panel', 'aria-label': t.launcherLabel },
        icon(ICONS.chat),
        t.launcher,
      );
      this.launcher.addEventListener('click', () => (this.panel.hidden ? this.open() : this.close()));
      this.root.append(this.launcher);
    }
    this.root.append(this.panel);
    adoptStyles(shadow);
    shadow.append(this.root);

    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
    this.input.addEventListener('keydown', (e) => {
      // Enter while an IME is composing picks a candidate; it must not send the half-typed question.
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener('input', () => this.fitInput());
    this.root.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape') return;
      e.stopPropagation();
      if (!this.clausePane.hidden) this.closeClause();
      else if (cfg.mode === 'floating') this.close();
    });
    newChat.addEventListener('click', () => this.newConversation());
    if (close) close.addEventListener('click', () => this.close());

    this.renderAll();
    // A reload restores an open panel without stealing focus from the page.
    if (cfg.mode === 'floating' && this.state.open) this.open(false);
  }

  open(focus = true): void {
    this.panel.hidden = false;
    this.root.classList.add('open');
    this.launcher?.setAttribute('aria-expanded', 'true');
    this.state.open = true;
    this.save();
    this.revealLatest();
    if (focus) this.input.focus();
  }

  close(): void {
    if (this.cfg.mode !== 'floating') return;
    this.closeClause(false);
    this.panel.hidden = true;
    this.root.classList.remove('open');
    this.launcher?.setAttribute('aria-expanded', 'false');
    this.state.open = false;
    this.save();
    this.launcher?.focus();
  }

  private save(): void {
    this.store.save(this.state);
  }

  private submit(): void {
    const text = this.input.value.trim();
    if (!text || this.pending) return;
    this.input.value = '';
    this.fitInput();
    this.send(text);
  }

  private send(text: string): void {
    this.log.querySelector('.welcome')?.remove();
    this.log.append(this.messageView({ role: 'user', text }));
    void this.ask(text);
  }

  private newConversation(): void {
    this.pending?.abort();
    this.pending = undefined;
    this.setBusy(false);
    this.closeClause(false);
    this.state = { ...emptyState(), open: this.state.open };
    this.save();
    this.renderAll();
    this.input.focus();
  }

  /** Asks the API and streams the answer into a new message; a failure leaves a message and a retry button. */
  private async ask(question: string): Promise<void> {
    const controller = new AbortController();
    this.pending = controller;
    this.setBusy(true);
    const body = h('div', { class: 'body' });
    const status = h('div', { class: 'status' }, this.t.thinking);
    const view = h('article', { class: 'msg assistant', 'aria-busy': 'true' }, h('span', { class: 'sr' }, `${this.t.assistant}：`), status, body);
    this.log.append(view);
    this.revealLatest();
    let citations: Citation[] = [];
    let text = '';
    try {
      const answer = await streamChat(
        this.cfg.api,
        { message: question, conversationId: this.state.conversationId },
        {
          citations: (c) => (citations = c),
          delta: (piece) => {
            text += piece;
            status.remove();
            view.classList.add('streaming');
            body.replaceChildren(this.withMarkers(text, citations));
            this.revealLatest();
          },
        },
        { stallMs: this.cfg.stallMs, signal: controller.signal },
      );
      if (controller.signal.aborted) return;
      // Saved as a pair once answered, so a reload mid-answer never restores a question left hanging.
      this.state.conversationId = answer.conversationId;
      const message: Message = { role: 'assistant', answer };
      this.state.messages.push({ role: 'user', text: question }, message);
      this.save();
      view.replaceWith(this.messageView(message));
      this.revealLatest();
    } catch (e) {
      if (controller.signal.aborted) return;
      status.remove();
      view.classList.remove('streaming');
      view.removeAttribute('aria-busy');
      if (text) view.append(h('p', { class: 'incomplete' }, this.t.interrupted));
      else view.remove();
      const retry = h('button', { type: 'button' }, this.t.retry);
      const error = h('div', { class: 'error', role: 'alert' }, h('span', {}, this.errorText(e)), retry);
      retry.addEventListener('click', () => {
        if (this.pending) return;
        error.remove();
        if (text) view.remove();
        void this.ask(question);
      });
      this.log.append(error);
      this.log.scrollTop = this.log.scrollHeight;
      retry.focus();
    } finally {
      if (this.pending === controller) {
        this.pending = undefined;
        this.setBusy(false);
      }
    }
  }

  private errorText(e: unknown): string {
    const t = this.t;
    if (!(e instanceof ApiError)) return t.errNetwork;
    if (e.kind === 'timeout') return t.errTimeout;
    if (e.kind === 'cut') return t.errCut;
    if (e.kind === 'network') return t.errNetwork;
    // The server's own explanation (e.g. a question too long) says more than a status code.
    return e.detail ?? t.errServer(e.status);
  }

  private setBusy(busy: boolean): void {
    this.sendButton.disabled = busy;
    this.log.setAttribute('aria-busy', String(busy));
  }

  private renderAll(): void {
    this.log.replaceChildren(...(this.state.messages.length ? this.state.messages.map((m) => this.messageView(m)) : [this.welcome()]));
  }

  private welcome(): HTMLElement {
    const list = h('ul', { class: 'starters' });
    for (const q of this.t.starters) {
      const b = h('button', { type: 'button' }, q);
      b.addEventListener('click', () => !this.pending && this.send(q));
      list.append(h('li', {}, b));
    }
    return h('div', { class: 'welcome' }, h('p', {}, this.t.welcome), list);
  }

  private messageView(m: Message): HTMLElement {
    const t = this.t;
    if (m.role === 'user') return h('article', { class: 'msg user' }, h('span', { class: 'sr' }, `${t.you}：`), m.text);
    const a: Answer = m.answer;
    const body = h('div', { class: 'body' }, this.withMarkers(a.answer, a.citations));
    const view = h('article', { class: 'msg assistant' }, h('span', { class: 'sr' }, `${t.assistant}：`));
    view.append(a.abstained ? h('div', { class: 'abstain' }, h('h3', {}, t.abstained), body) : body);
    if (a.citations.length)
      view.append(this.chipList(t.sources, a.citations.map((c) => ({ ref: c, text: `[${c.n}]`, cls: 'chip' }))));
    if (a.related.length)
      view.append(this.chipList(t.related, a.related.map((r) => ({ ref: r, text: '', cls: 'chip related' }))));
    if (a.notices.length) {
      const list = h('ul', { class: 'notices' });
      for (const n of a.notices) {
        // About the conversation itself (a new one started, memory unavailable), not a measure's validity.
        if (n.kind === 'conversation') list.append(h('li', { class: 'notice conversation' }, h('strong', {}, t.noticeConversation), h('span', {}, n.text)));
        else list.append(h('li', { class: n.expired ? 'notice expired' : 'notice' }, h('strong', {}, n.expired ? `⚠ ${t.noticeExpired}` : t.noticeInfo), h('span', {}, n.text)));
      }
      view.append(list);
    }
    return view;
  }

  private chipList(title: string, items: { ref: ClauseRef; text: string; cls: string }[]): HTMLElement {
    const list = h('ul', { class: 'chips' });
    for (const { ref, text, cls } of items) {
      const b = h('button', { type: 'button', class: cls }, text && h('b', {}, text), h('span', {}, ref.label));
      b.addEventListener('click', () => this.showClause(ref, b));
      list.append(h('li', {}, b));
    }
    return h('div', { class: 'section' }, h('h3', {}, title), list);
  }

  /** Answer text with each [n] that names a citation made into a button showing that citation. */
  private withMarkers(text: string, citations: Citation[]): DocumentFragment {
    const out = document.createDocumentFragment();
    let at = 0;
    for (const m of text.matchAll(MARKER)) {
      const c = citations.find((x) => x.n === Number(m[1]));
      if (!c) continue;
      out.append(text.slice(at, m.index));
      const b = h('button', { type: 'button', class: 'marker', title: c.label, 'aria-label': this.t.viewCitation(c.n, c.label) }, m[0]);
      b.addEventListener('click', () => this.showClause(c, b));
      out.append(b);
      at = m.index + m[0].length;
    }
    out.append(text.slice(at));
    return out;
  }

  /** The verbatim clause over the chat, with its document's details and a link to the full text. */
  private showClause(ref: ClauseRef, trigger: HTMLElement): void {
    const t = this.t;
    this.clauseRequest?.abort();
    const controller = new AbortController();
    this.clauseRequest = controller;
    this.clauseTrigger = trigger;
    const back = h('button', { type: 'button', class: 'back' }, icon(ICONS.back), t.back);
    back.addEventListener('click', () => this.closeClause());
    const heading = h('h3', { tabindex: '-1' }, ref.label);
    const content = h('div', { 'aria-live': 'polite' }, h('p', { class: 'status' }, t.clauseLoading));
    this.clausePane.setAttribute('aria-label', ref.label);
    this.clausePane.replaceChildren(back, heading, content);
    this.clausePane.scrollTop = 0;
    this.clausePane.hidden = false;
    heading.focus();

    fetchClause(this.cfg.api, ref.id, controller.signal, this.cfg.stallMs).then(
      (clause) => !controller.signal.aborted && content.replaceChildren(...this.clauseBody(clause, ref.quote)),
      () => {
        if (controller.signal.aborted) return;
        const retry = h('button', { type: 'button', class: 'retry' }, t.retry);
        retry.addEventListener('click', () => this.showClause(ref, trigger));
        content.replaceChildren(h('div', { class: 'error', role: 'alert' }, h('span', {}, t.clauseError), retry));
      },
    );
  }

  private clauseBody(clause: ClauseView, quote?: string): Node[] {
    const t = this.t;
    const d = clause.document;
    const meta = h('dl', {});
    for (const [name, value] of [
      [t.docNumber, d.docNumber],
      [t.issuer, d.issuer],
      [t.date, d.issueDate],
      [t.validFrom, d.validFrom],
      [t.validUntil, d.validUntil],
    ] as const)
      if (value) meta.append(h('dt', {}, name), h('dd', {}, value));
    const text = h('blockquote', {});
    const at = quote ? clause.text.indexOf(quote) : -1;
    if (quote && at >= 0) text.append(clause.text.slice(0, at), h('mark', {}, quote), clause.text.slice(at + quote.length));
    else text.append(clause.text);
    const href = `${this.cfg.api}/documents/${encodeURIComponent(d.id)}#${encodeURIComponent(clause.id)}`;
    const nodes: Node[] = [h('p', { class: 'doc' }, `《${d.title}》`), meta, text];
    if (at >= 0) nodes.push(h('p', { class: 'hint' }, t.quoted));
    nodes.push(h('a', { href, target: '_blank', rel: 'noopener' }, t.fullDocument, icon(ICONS.external)));
    return nodes;
  }

  private closeClause(restoreFocus = true): void {
    if (this.clausePane.hidden) return;
    this.clauseRequest?.abort();
    this.clausePane.hidden = true;
    this.clausePane.replaceChildren();
    if (restoreFocus) this.clauseTrigger?.focus();
  }

  private fitInput(): void {
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight + 2, 120)}px`;
  }

  /**
   * Follows a growing answer only until it fills the panel: the latest question stays at the top,
   * so a long answer is read from its start rather than its end.
   */
  private revealLatest(): void {
    const questions = this.log.querySelectorAll<HTMLElement>('.msg.user');
    const latest = questions[questions.length - 1];
    this.log.scrollTop = latest ? latest.offsetTop - 12 : 0;
  }
}

/** A constructed stylesheet is exempt from the host page's CSP style-src; older browsers get a <style>. */
function adoptStyles(shadow: ShadowRoot): void {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    shadow.adoptedStyleSheets = [sheet];
  } catch {
    shadow.append(h('style', {}, CSS));
  }
}
