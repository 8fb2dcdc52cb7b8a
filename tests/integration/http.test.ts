import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Answer } from '../../src/answer/types.ts';
import { streamPieces } from '../../src/http/sse.ts';
import { parseSse, postJson, startTestServer, type SseEvent } from './http-helpers.ts';

let server: Awaited<ReturnType<typeof startTestServer>>;
let base: string;

beforeAll(async () => {
  server = await startTestServer();
  base = server.url;
});
afterAll(() => server?.close());

const LEASING = '专精特新中小企业通过融资租赁购置设备，每年补贴上限是多少？';
const SPECIALISED = 'd7989496b3'; // 北京市关于促进“专精特新”中小企业高质量发展的若干措施

async function chat(message: string, conversationId?: string): Promise<Answer> {
  const res = await postJson(`${base}/api/chat`, { message, conversationId });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return (await res.json()) as Answer;
}

const shapeOf = (a: Answer) => ({
  keys: Object.keys(a).sort(),
  citationKeys: a.citations.map((c) => Object.keys(c).sort()),
  types: Object.fromEntries(Object.entries(a).map(([k, v]) => [k, Array.isArray(v) ? 'array' : typeof v])),
});

describe('POST /api/chat', () => {
  it('answers with citations that quote the clause', async () => {
    const a = await chat(LEASING);
    expect(a.abstained).toBe(false);
    expect(a.mode).toBe('extractive');
    expect(a.answer).toContain('1000万元');
    expect(a.citations[0]).toMatchObject({ n: 1, documentId: SPECIALISED });
    expect(a.citations[0]!.quote).toContain('融资租赁');
    for (const c of a.citations) expect(Object.keys(c)).toEqual(expect.arrayContaining(['n', 'id', 'label', 'documentTitle', 'quote', 'documentId']));
  });

  it('streams citations first, then deltas, then a done event shaped like the JSON answer', async () => {
    const res = await fetch(`${base}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ message: LEASING }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('cache-control')).toContain('no-cache');
    const events = parseSse(await res.text());
    const names = events.map((e) => e.event);
    expect(names[0]).toBe('citations');
    expect(names.at(-1)).toBe('done');
    expect(names.slice(1, -1).every((n) => n === 'delta')).toBe(true);
    expect(names.length).toBeGreaterThan(4);

    const done = events.at(-1)!.data as Answer;
    const deltas = events.filter((e) => e.event === 'delta').map((e) => (e.data as { text: string }).text);
    expect(deltas.join('')).toBe(done.answer);
    // No piece cuts a citation marker in two.
    for (const d of deltas) expect(d).not.toMatch(/\[\d*$|^\d*\]/);
    expect((events[0]!.data as { citations: unknown }).citations).toEqual(done.citations);
    expect((events[0]!.data as { conversationId: string }).conversationId).toBe(done.conversationId);

    const plain = await chat(LEASING);
    expect(shapeOf(done)).toEqual(shapeOf(plain));
    expect(done.answer).toBe(plain.answer);
  });

  it('reports a failure after the stream opened as an error event', async () => {
    const res = await fetch(`${base}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      // Passes the schema (control characters are not whitespace), then is empty once they are dropped.
      body: JSON.stringify({ message: '\u0001\u0002' }),
    });
    const events: SseEvent[] = parseSse(await res.text());
    expect(events).toEqual([{ event: 'error', data: { error: { code: 'invalid_input', message: expect.stringContaining('empty') } } }]);
  });

  it('survives a client that disconnects mid-stream', async () => {
    const controller = new AbortController();
    const res = await fetch(`${base}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ message: '外资银行可以参股证券公司吗？' }),
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    controller.abort();
    await res.text().catch(() => undefined);
    // Give the server time to finish answering into the closed stream.
    await new Promise((r) => setTimeout(r, 500));
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await chat('外资银行可以参股证券公司吗？')).abstained).toBe(false);
  });

  it('resolves a follow-up in the same conversation', async () => {
    const first = await chat(LEASING);
    const second = await chat('那申请条件呢？', first.conversationId);
    expect(second.conversationId).toBe(first.conversationId);
    expect(second.abstained).toBe(false);
    // "那申请条件呢" names no policy; its citations come from the policy the first turn was about.
    expect(second.citations.length).toBeGreaterThan(0);
    expect(second.citations[0]!.documentId).toBe(SPECIALISED);

    const fresh = await chat('那申请条件呢？');
    expect(fresh.conversationId).not.toBe(first.conversationId);
  });

  it('warns that a measure whose end date has passed may no longer be in force', async () => {
    const a = await chat('特种设备检验费能减免吗？');
    expect(a.citations.some((c) => c.quote.includes('特种设备检验检测费') || c.quote.includes('2021年3月31日'))).toBe(true);
    expect(a.notices.some((n) => n.kind === 'validity' && n.expired && n.until === '2021-03-31' && /2021年3月31日/.test(n.text))).toBe(true);
  });
});

describe('POST /api/search', () => {
  it('returns ranked verbatim clause pieces with their scores', async () => {
    const res = await postJson(`${base}/api/search`, { query: '融资租赁 设备 补贴', k: 3 });
    expect(res.status).toBe(200);
    const { results } = (await res.json()) as { results: { id: string; text: string; score: number; scores: { fused: number; rerank?: number }; documentId: string }[] };
    expect(results).toHaveLength(3);
    for (const r of results) {
      expect(r).toMatchObject({ id: expect.any(String), text: expect.any(String), score: expect.any(Number) });
      expect(r.score).toBe(r.scores.rerank ?? r.scores.fused);
    }
    const clause = (await (await fetch(`${base}/api/clauses/${encodeURIComponent(results[0]!.id)}`)).json()) as { text: string };
    expect(clause.text).toContain(results[0]!.text.slice(0, 20));
  });

  it('applies filters', async () => {
    const res = await postJson(`${base}/api/search`, { query: '融资租赁', k: 5, filters: { documentIds: [SPECIALISED] } });
    const { results } = (await res.json()) as { results: { documentId: string }[] };
    expect(results.length).toBeGreaterThan(0);
    expect(results.every((r) => r.documentId === SPECIALISED)).toBe(true);
  });

  it('rejects a k out of range with the tools layer message', async () => {
    const res = await postJson(`${base}/api/search`, { query: '融资租赁', k: 500 });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: 'invalid_input', message: expect.stringContaining('k must be') } });
  });
});

describe('GET /api/clauses', () => {
  const clauseByRef = async (ref: string) => {
    const res = await fetch(`${base}/api/clauses?ref=${encodeURIComponent(ref)}`);
    return { status: res.status, body: (await res.json()) as { id: string; label: string; text: string; headingPath: string[]; prevId?: string; nextId?: string; previous?: { id: string }; next?: { id: string }; document: { id: string; title: string } } };
  };

  it.each([
    ['自贸区条例第十五条', 'd08419644f', '第十五条'],
    ['京政发〔2021〕3号第五条', 'da6551270b', '第五条'],
    ['京政发[2021]3号第5条', 'da6551270b', '第五条'],
    ['《北京市促进私营个体经济发展条例》第二十八条', 'd7dd804bb4', '第二十八条'],
    ['私营个体经济条例第２８条', 'd7dd804bb4', '第二十八条'],
  ])('resolves %s', async (ref, documentId, article) => {
    const { status, body } = await clauseByRef(ref);
    expect(status).toBe(200);
    expect(body.document.id).toBe(documentId);
    expect(body.label).toContain(article);
    expect(body.text.length).toBeGreaterThan(10);
    expect(body.previous?.id).toBe(body.prevId);
    expect(body.next?.id).toBe(body.nextId);
  });

  it('serves a clause by id with its heading path and neighbours', async () => {
    const { body: byRef } = await clauseByRef('自贸区条例第十五条');
    const res = await fetch(`${base}/api/clauses/${byRef.id}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as typeof byRef;
    expect(body).toEqual(byRef);
    expect(body.headingPath[0]).toMatch(/^第三章/);
    expect(body.prevId).toMatch(/^d08419644f-a14-/);
    expect(body.nextId).toMatch(/^d08419644f-a16-/);
  });

  it('404s helpfully for an article that does not exist', async () => {
    const res = await fetch(`${base}/api/clauses?ref=${encodeURIComponent('自贸区条例第九百条')}`);
    expect(res.status).toBe(404);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('not_found');
    expect(error.message).toMatch(/第900条/);
    expect(error.message).toMatch(/it has \d+ articles/);
  });

  it('404s helpfully for an unknown document and an unknown clause id', async () => {
    const doc = await fetch(`${base}/api/clauses?ref=${encodeURIComponent('不存在的条例第一条')}`);
    expect(doc.status).toBe(404);
    expect(((await doc.json()) as { error: { message: string } }).error.message).toMatch(/no document matches/);

    const id = await fetch(`${base}/api/clauses/d08419644f-a999-ffff`);
    expect(id.status).toBe(404);
    expect(await id.json()).toEqual({ error: { code: 'not_found', message: expect.stringContaining('look it up by reference') } });

    const malformed = await fetch(`${base}/api/clauses/not-a-clause`);
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe('invalid_input');
  });

  it('asks for ref when it is missing', async () => {
    const res = await fetch(`${base}/api/clauses`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('ref=');
  });
});

describe('GET /api/documents', () => {
  it('lists and filters documents', async () => {
    const all = (await (await fetch(`${base}/api/documents`)).json()) as { documents: { id: string }[] };
    expect(all.documents.length).toBeGreaterThan(30);
    const some = (await (await fetch(`${base}/api/documents?query=${encodeURIComponent('自贸区条例')}`)).json()) as { documents: { id: string }[] };
    expect(some.documents[0]!.id).toBe('d08419644f');
    expect(some.documents.length).toBeLessThan(all.documents.length);
    const bad = await fetch(`${base}/api/documents?dateFrom=yesterday`);
    expect(bad.status).toBe(400);
  });

  it('serves one document with its text and clause anchors', async () => {
    const res = await fetch(`${base}/api/documents/da6551270b`);
    expect(res.status).toBe(200);
    const d = (await res.json()) as { title: string; docNumber: string; text: string; clauses: { id: string; start: number; end: number }[] };
    expect(d.docNumber).toBe('京政发〔2021〕3号');
    const fifth = d.clauses.find((c) => c.id.startsWith('da6551270b-a5-'))!;
    const clause = (await (await fetch(`${base}/api/clauses/${fifth.id}`)).json()) as { text: string };
    expect(d.text.slice(fifth.start, fifth.end)).toContain(clause.text.slice(0, 15));

    const missing = await fetch(`${base}/api/documents/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });
});

describe('service endpoints', () => {
  it('/healthz reports the index and the model', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    const h = (await res.json()) as { status: string; index: { chunks: number; documents: number; builtAt: string; openedAs: string }; model: { id: string; sha256: string }; uptimeSeconds: number };
    expect(h.status).toBe('ok');
    expect(h.index.chunks).toBeGreaterThan(500);
    expect(h.index.documents).toBeGreaterThan(30);
    expect(Date.parse(h.index.builtAt)).not.toBeNaN();
    expect(h.model.id).toMatch(/bge/);
    expect(h.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(h.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(h)).not.toContain('/work/');
  });

  it('/openapi.json is OpenAPI 3.1 listing every route, with resolvable references', async () => {
    const res = await fetch(`${base}/openapi.json`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const doc = JSON.parse(text) as { openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } };
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(doc.paths).sort()).toEqual(['/', '/admin/documents', '/admin/documents/{id}', '/admin/reindex', '/api/chat', '/api/clauses', '/api/clauses/{id}', '/api/documents', '/api/documents/{id}', '/api/search', '/documents/{id}', '/healthz', '/mcp', '/openapi.json', '/widget.js']);
    expect(Object.keys(doc.paths['/api/chat']!)).toEqual(['post']);
    for (const [, name] of text.matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)) expect(doc.components.schemas).toHaveProperty(name!);
  });
});

describe('streamPieces', () => {
  it('keeps markers, surrogate pairs and emoji sequences whole and loses nothing', () => {
    const text = '根据第一条，补贴最高1000万元。[1][12] 𠀀𠀁𠀂 👩‍👩‍👧 end[3]';
    const pieces = streamPieces(text, 5);
    expect(pieces.join('')).toBe(text);
    for (const p of pieces) {
      expect(p).not.toMatch(/\[\d*$|^\d*\]/);
      expect(p).not.toMatch(/[\uD800-\uDBFF]$|^[\uDC00-\uDFFF]/);
      expect(p).not.toMatch(/\u200d$/);
    }
    expect(streamPieces('')).toEqual([]);
  });
});
