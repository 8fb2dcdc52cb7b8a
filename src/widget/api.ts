import { readSse, StallError } from './sse.ts';

// The API's shapes: inferred from the tools' own schemas (type-only, so nothing of the server is bundled).
import type { z } from 'zod';
import type { Answer } from '../tools/answer.ts';
import type { ClauseView } from '../tools/clauses.ts';
import type { HttpRequests } from '../http/routes/requests.ts';

export type { Answer, ClauseView };
export type Citation = Answer['citations'][number];
export type Notice = Answer['notices'][number];
export type ChatRequest = z.input<HttpRequests['chat']>;

/** Why a request failed: decides the message shown; `detail` is the server's own message, if any. */
export type FailureKind = 'network' | 'timeout' | 'cut' | 'server' | 'client';

export class ApiError extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly status = 0,
    readonly detail?: string,
  ) {
    super(detail ?? kind);
  }
}

export interface StreamHandlers {
  citations(c: Citation[]): void;
  delta(text: string): void;
}

/** POSTs a question and streams the answer; resolves with the complete answer of the done event. */
export async function streamChat(
  api: string,
  body: ChatRequest,
  on: StreamHandlers,
  opts: { stallMs: number; signal: AbortSignal },
): Promise<Answer> {
  const res = await request(
    `${api}/api/chat`,
    { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' }, body: JSON.stringify(body) },
    opts.signal,
    opts.stallMs,
  );
  // A server (or proxy) that ignores the Accept header answers with plain JSON.
  if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) return (await res.json()) as Answer;
  if (!res.body) throw new ApiError('cut');
  try {
    for await (const ev of readSse(res.body, opts.stallMs)) {
      const data = JSON.parse(ev.data) as unknown;
      // The citations event carries { conversationId, citations } (a bare array in the first spec draft).
      if (ev.event === 'citations') on.citations(Array.isArray(data) ? data : (data as { citations: Citation[] }).citations);
      else if (ev.event === 'delta') on.delta((data as { text: string }).text);
      else if (ev.event === 'done') return data as Answer;
      else if (ev.event === 'error') throw new ApiError('server', 0, (data as { error?: { message?: string } }).error?.message);
    }
  } catch (e) {
    if (e instanceof ApiError || opts.signal.aborted) throw e;
    throw new ApiError(e instanceof StallError ? 'timeout' : 'cut');
  }
  // The stream ended without its done event: the connection was cut mid-answer.
  throw new ApiError('cut');
}

export async function fetchClause(api: string, id: string, signal: AbortSignal, timeoutMs: number): Promise<ClauseView> {
  const res = await request(`${api}/api/clauses/${encodeURIComponent(id)}`, { headers: { Accept: 'application/json' } }, signal, timeoutMs);
  // The clause itself, with `previous` and `next` beside its fields (or under `clause`, as first specified).
  const json = (await res.json()) as ClauseView | { clause: ClauseView };
  return 'clause' in json ? json.clause : json;
}

/** fetch that gives up when the response headers take longer than timeoutMs. */
async function request(url: string, init: RequestInit, signal: AbortSignal, timeoutMs: number): Promise<Response> {
  const controller = new AbortController();
  signal.addEventListener('abort', () => controller.abort(), { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: controller.signal });
  } catch (e) {
    if (signal.aborted) throw e;
    throw new ApiError(timedOut ? 'timeout' : 'network');
  } finally {
    clearTimeout(timer);
  }
  if (res.ok) return res;
  const detail = await res
    .json()
    .then((j: { error?: { message?: string } }) => j.error?.message)
    .catch(() => undefined);
  throw new ApiError(res.status < 500 ? 'client' : 'server', res.status, detail);
}
