import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult, ResourceLink, TextContent } from '@modelcontextprotocol/sdk/types.js';
import { sharedApp } from '../app-fixture.ts';
import { createMcpServer } from '../../src/mcp/server.ts';
import { estimateTokens, fitList, MAX_RESULT_CHARS, shrinkStrings, truncateText, withinBudget } from '../../src/mcp/limits.ts';
import { squash } from '../helpers.ts';

// The tools over the SDK's in-memory transport: the same JSON-RPC a desktop client sends.
let client: Client;
const FTZ = 'd08419644f'; // 中国（北京）自由贸易试验区条例

beforeAll(async () => {
  const app = await sharedApp();
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await createMcpServer(app).connect(serverSide);
  client = new Client({ name: 'mcp-test', version: '0.0.0' });
  await client.connect(clientSide);
});
afterAll(() => client?.close());

const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;
const text = (r: CallToolResult) => (r.content[0] as TextContent).text;
const links = (r: CallToolResult) => r.content.filter((c): c is ResourceLink => c.type === 'resource_link');

/** Every tool result stays well under 25k tokens even if a client forwards text and structuredContent both. */
function expectBounded(r: CallToolResult) {
  const size = JSON.stringify(r);
  expect(estimateTokens(size)).toBeLessThan(22_000);
  for (const c of r.content) if (c.type === 'text') expect(c.text.length).toBeLessThanOrEqual(MAX_RESULT_CHARS);
}

describe('tool list', () => {
  it('lists the four read-only tools with input and output schemas', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['answer_question', 'get_clause', 'list_documents', 'search_policies']);
    for (const t of tools) {
      expect(t.annotations?.readOnlyHint).toBe(true);
      expect(t.description!.length).toBeGreaterThan(100);
      expect(t.outputSchema?.type).toBe('object');
    }
    const search = tools.find((t) => t.name === 'search_policies')!;
    expect(Object.keys(search.inputSchema.properties!)).toEqual(['query', 'k', 'filters']);
    expect(Object.keys((search.inputSchema.properties!.filters as { properties: object }).properties)).toEqual(['document', 'documentIds', 'issuer', 'dateFrom', 'dateTo', 'status', 'asOf']);
    expect(search.inputSchema.required).toEqual(['query']);
  });
});

describe('search_policies', () => {
  it('returns ranked verbatim clauses with label, title, date and resource links', async () => {
    const r = await call('search_policies', { query: '自贸试验区 外商投资 负面清单', k: 5 });
    expect(r.isError).toBeFalsy();
    const out = r.structuredContent as { results: { id: string; clauseId: string; label: string; documentTitle: string; text: string }[] };
    expect(out.results).toHaveLength(5);
    const app = await sharedApp();
    for (const hit of out.results) {
      expect(hit.label).toMatch(/^《.+》/);
      // Verbatim: the text is a piece of the stored clause.
      expect(squash(app.corpus.clauseById.get(hit.clauseId)!.text)).toContain(squash(hit.text));
    }
    expect(links(r).map((l) => l.uri)).toEqual([...new Set(out.results.map((h) => `policy://clauses/${h.clauseId}`))]);
    expect(JSON.parse(text(r))).toEqual(r.structuredContent);
  });

  it('applies the document, issuer and date filters', async () => {
    const inDoc = await call('search_policies', { query: '金融', filters: { document: '自贸区条例' }, k: 5 });
    const hits = (inDoc.structuredContent as { results: { documentId: string }[] }).results;
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.documentId === FTZ)).toBe(true);
    const dated = await call('search_policies', { query: '营商环境', filters: { dateFrom: '2021-10-01' }, k: 10 });
    const datedHits = (dated.structuredContent as { results: { date?: string }[] }).results;
    expect(datedHits.length).toBeGreaterThan(0);
    for (const h of datedHits) expect(h.date! >= '2021-10-01').toBe(true);
    const issued = await call('search_policies', { query: '营商环境', filters: { issuer: '北京市人民政府' }, k: 10 });
    const issuedHits = (issued.structuredContent as { results: { issuer?: string }[] }).results;
    expect(issuedHits.length).toBeGreaterThan(0);
    for (const h of issuedHits) expect(h.issuer).toContain('北京市人民政府');
  });

  it('bounds a large result and says how much was left off', async () => {
    const r = await call('search_policies', { query: '外商投资 负面清单 营商环境 企业', k: 50 });
    expect(r.isError).toBeFalsy();
    expectBounded(r);
    const out = r.structuredContent as { results: unknown[]; truncated?: string };
    if (out.results.length < 50) expect(out.truncated).toMatch(/^\[truncated: \d+ more results; /);
  });

  it.each([
    ['an empty query', { query: '   ' }, /query is empty/],
    ['a query over the length limit', { query: '营商环境'.repeat(501) }, /a query is at most 2000 characters/],
    ['k out of range', { query: '营商环境', k: 99 }, /k must be a whole number from 1 to 50/],
    ['a malformed date', { query: '营商环境', filters: { dateFrom: 'last year' } }, /ISO date/],
  ])('answers %s with isError and a message to act on', async (_what, args, message) => {
    const r = await call('search_policies', args);
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(message);
  });
});

describe('answer_question', () => {
  it('returns the cited answer as the HTTP API does, and continues the conversation', async () => {
    const r = await call('answer_question', { question: '自贸区条例什么时候开始施行？' });
    expect(r.isError).toBeFalsy();
    const a = r.structuredContent as { answer: string; citations: { id: string; quote: string }[]; abstained: boolean; notices: string[]; mode: string; conversationId: string };
    expect(Object.keys(a)).toEqual(expect.arrayContaining(['answer', 'citations', 'abstained', 'notices', 'mode', 'conversationId']));
    expect(a.abstained).toBe(false);
    expect(a.answer).toContain('2022年5月1日');
    expect(a.citations.length).toBeGreaterThan(0);
    expect(links(r).map((l) => l.uri)).toContain(`policy://clauses/${a.citations[0]!.id}`);
    const next = await call('answer_question', { question: '它由哪个机关通过？', conversationId: a.conversationId });
    expect(next.isError).toBeFalsy();
    expect((next.structuredContent as { conversationId: string }).conversationId).toBe(a.conversationId);
  });

  it('refuses an empty question and a malformed conversation id; a made-up one starts a new conversation', async () => {
    const empty = await call('answer_question', { question: '' });
    expect(empty.isError).toBe(true);
    expect(text(empty)).toMatch(/question is empty/);
    const badId = await call('answer_question', { question: '自贸区条例什么时候施行？', conversationId: '../../etc' });
    expect(badId.isError).toBe(true);
    expect(text(badId)).toMatch(/conversationId is at most 128 letters/);
    // Well formed but not issued by this server: a new conversation, never the one named.
    const madeUp = await call('answer_question', { question: '自贸区条例什么时候施行？', conversationId: 'aaaaaaaa' });
    expect(madeUp.isError).toBeFalsy();
    const a = madeUp.structuredContent as { conversationId: string; notices: unknown[] };
    expect(a.conversationId).not.toBe('aaaaaaaa');
    expect(a.notices[0]).toEqual({ kind: 'conversation', reason: 'invalid', expired: false, text: expect.stringContaining('新的对话') });
  });
});

describe('get_clause', () => {
  it('looks up a clause by reference with its document and neighbours', async () => {
    const r = await call('get_clause', { reference: '自贸区条例第十五条' });
    expect(r.isError).toBeFalsy();
    const v = r.structuredContent as { clause: { id: string; label: string; text: string; document: { title: string } }; previous?: { label: string }; next?: { label: string } };
    expect(v.clause.label).toMatch(/第十五条$/);
    expect(v.clause.text.startsWith('第十五条')).toBe(true);
    expect(v.clause.document.title).toBe('中国（北京）自由贸易试验区条例');
    expect(v.previous?.label).toMatch(/第十四条$/);
    expect(v.next?.label).toMatch(/第十六条$/);
    expect(links(r)[0]!.uri).toBe(`policy://clauses/${v.clause.id}`);
    const byId = await call('get_clause', { id: v.clause.id });
    expect((byId.structuredContent as typeof v).clause.text).toBe(v.clause.text);
  });

  it.each([
    ['an unknown id', { id: `${FTZ}-a999-ffff` }, /no clause has id/],
    ['a malformed id', { id: 'DROP TABLE' }, /not a clause id/],
    ['a reference to an article that does not exist', { reference: '自贸区条例第九十九条' }, /第99条.*68 articles|68 articles.*第99条/],
    ['a reference to no known document', { reference: '火星移民条例第一条' }, /no document matches/],
    ['neither id nor reference', {}, /give a clause id or a reference/],
  ])('answers %s with isError and a message to act on', async (_what, args, message) => {
    const r = await call('get_clause', args);
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(message);
  });
});

describe('list_documents', () => {
  it('lists every document with metadata, clause counts and links, within bounds', async () => {
    const r = await call('list_documents', {});
    expectBounded(r);
    const docs = (r.structuredContent as { documents: { id: string; title: string; clauseCount: number }[]; truncated?: string }).documents;
    expect(docs).toHaveLength((await sharedApp()).corpus.documents.length);
    expect(docs.find((d) => d.id === FTZ)).toMatchObject({ title: '中国（北京）自由贸易试验区条例', clauseCount: 68 });
    expect(links(r)).toHaveLength(docs.length);
  });

  it('filters by query and dates', async () => {
    const r = await call('list_documents', { query: '自贸区条例' });
    expect((r.structuredContent as { documents: { id: string }[] }).documents.map((d) => d.id)).toContain(FTZ);
    const none = await call('list_documents', { dateFrom: '2100-01-01' });
    expect((none.structuredContent as { documents: unknown[] }).documents).toEqual([]);
  });
});

describe('resources', () => {
  it('offers templates for documents and clauses, and lists the documents', async () => {
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate).sort()).toEqual(['policy://clauses/{id}', 'policy://documents/{id}']);
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toContain(`policy://documents/${FTZ}`);
  });

  it('reads a whole document with its metadata, and a clause verbatim', async () => {
    const app = await sharedApp();
    const doc = (await client.readResource({ uri: `policy://documents/${FTZ}` })).contents[0] as { text: string };
    expect(doc.text).toContain('title: 《中国（北京）自由贸易试验区条例》');
    expect(doc.text).toContain(app.corpus.documentText(FTZ)!);
    const clause = app.corpus.clausesOf(FTZ)[14]!;
    const read = (await client.readResource({ uri: `policy://clauses/${clause.id}` })).contents[0] as { text: string };
    expect(read.text).toContain(`label: ${clause.label}`);
    expect(read.text.endsWith(clause.text)).toBe(true);
  });

  it('says which resource does not exist', async () => {
    await expect(client.readResource({ uri: 'policy://documents/dffffffff0' })).rejects.toThrow(/no document has id "dffffffff0"/);
    await expect(client.readResource({ uri: `policy://clauses/${FTZ}-a999-ffff` })).rejects.toThrow(/no clause has id/);
  });
});

describe('limits', () => {
  it('estimates a CJK character as a token and ASCII as a quarter', () => {
    expect(estimateTokens('北京市')).toBe(3);
    expect(estimateTokens('abcdefgh')).toBe(2);
  });

  it('keeps the longest prefix of a list that fits, and marks the rest', () => {
    const items = Array.from({ length: 100 }, (_, i) => `${i}:${'条'.repeat(500)}`);
    const out = fitList(items, (kept, omitted) => ({ kept, omitted }));
    expect(withinBudget(out)).toBe(true);
    expect(out.kept.length + out.omitted).toBe(100);
    expect(withinBudget({ kept: items.slice(0, out.kept.length + 1), omitted: 0 })).toBe(false);
  });

  it('cuts one long text with a single marker counting everything left off', () => {
    const cut = truncateText('字'.repeat(100), 60, 'read more');
    expect(cut).toBe(`${'字'.repeat(60)}\n[truncated: 40 more characters; read more]`);
    expect(truncateText(cut, 30, 'read more')).toBe(`${'字'.repeat(30)}\n[truncated: 70 more characters; read more]`);
    const shrunk = shrinkStrings({ text: '字'.repeat(30_000), label: 'x' });
    expect(withinBudget(shrunk)).toBe(true);
    expect(shrunk.text).toMatch(/\[truncated: \d+ more characters; /);
  });
});

describe('cancellation', () => {
  it('a call the client cancels stops its search (an AbortedError), where an uncancelled one finishes', async () => {
    const app = await sharedApp();
    const outcomes: string[] = [];
    // The same retriever, recording how each search ended.
    const retriever = Object.create(app.retriever) as typeof app.retriever;
    retriever.search = (query, opts) =>
      app.retriever.search(query, opts).then(
        (r) => (outcomes.push('finished'), r),
        (e: Error) => {
          outcomes.push(e.name);
          throw e;
        },
      );
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await createMcpServer({ ...app, retriever }).connect(serverSide);
    const other = new Client({ name: 'mcp-cancel-test', version: '0.0.0' });
    await other.connect(clientSide);
    try {
      // Queries no cache has seen: each waits for a model call, time enough for the cancellation to land.
      const fresh = (tag: string) => `自贸试验区的跨境数据流动怎么管理（${tag}-${Date.now()}）`;
      const done = await other.callTool({ name: 'search_policies', arguments: { query: fresh('kept') } });
      expect(done.isError).toBeFalsy();
      expect(outcomes).toEqual(['finished']);

      const controller = new AbortController();
      const cancelled = other.callTool({ name: 'search_policies', arguments: { query: fresh('cancelled') } }, undefined, { signal: controller.signal });
      controller.abort(new Error('the user pressed stop'));
      await expect(cancelled).rejects.toThrow('the user pressed stop');
      await expect.poll(() => outcomes.length).toBe(2);
      expect(outcomes[1]).toBe('AbortedError');
    } finally {
      await other.close();
    }
  });
});
