// Issue 13: one schema per tool. HTTP validation, MCP's tools/list and calls, and /openapi.json all
// derive from the tools' zod schemas: a third-party validator accepts the document, and a catalogue
// with one limit changed changes it on all three surfaces at once.

import { validate } from '@readme/openapi-parser';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/http/logger.ts';
import { createMcpServer } from '../../src/mcp/server.ts';
import { TOOLS, type ToolCatalogue } from '../../src/tools/index.ts';
import { queryText } from '../../src/tools/fields.ts';
import { sharedApp } from '../app-fixture.ts';
import { postJson, startTestServer } from './http-helpers.ts';

type Server = Awaited<ReturnType<typeof startTestServer>>;
const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

/** The same tools with the query and question limited to `max` characters. */
function withQueryLimit(max: number): ToolCatalogue {
  const limited = queryText('query').max(max, `at most ${max} characters here`);
  return {
    ...TOOLS,
    search: { ...TOOLS.search, input: TOOLS.search.input.extend({ query: limited }) },
    answer: { ...TOOLS.answer, input: TOOLS.answer.input.extend({ question: limited }) },
  };
}

/** The limit as each surface states or enforces it. */
async function surfaces(catalogue?: ToolCatalogue) {
  const s = await startTestServer({ catalogue, logger: createLogger({ level: 'silent' }) });
  servers.push(s);
  const doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as {
    paths: Record<string, { post: { requestBody: { content: { 'application/json': { schema: { properties: Record<string, { maxLength?: number }> } } } } } }>;
  };
  const body = (path: string) => doc.paths[path]!.post.requestBody.content['application/json'].schema.properties;

  const client = new Client({ name: 'schema-test', version: '1.0.0' });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await Promise.all([createMcpServer(await sharedApp(), catalogue).connect(a), client.connect(b)]);
  const { tools } = await client.listTools();
  const mcpMax = (name: string, field: string) => (tools.find((t) => t.name === name)!.inputSchema.properties![field] as { maxLength?: number }).maxLength;
  const callRejects = async (name: string, args: Record<string, unknown>) => Boolean((await client.callTool({ name, arguments: args })).isError);
  return { url: s.url, doc, body, mcpMax, callRejects, close: () => client.close() };
}

describe('/openapi.json', () => {
  it('is valid OpenAPI 3.1 by a third-party validator, and carries the package version', async () => {
    const { doc, close } = await surfaces();
    await close();
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid, JSON.stringify(result)).toBe(true);
    expect((doc as unknown as { info: { version: string } }).info.version).toBe((await import('../../package.json', { with: { type: 'json' } })).default.version);
  });
});

describe('/openapi.json responses', () => {
  it('documents the 503 and its Retry-After on every route behind the in-flight bound', async () => {
    const { doc, close } = await surfaces();
    await close();
    const responses = (path: string) => (doc.paths[path]!.post as unknown as { responses: Record<string, { headers?: Record<string, unknown> }> }).responses;
    for (const path of ['/api/chat', '/api/search', '/mcp']) expect(responses(path)['503']?.headers, path).toHaveProperty('Retry-After');
    for (const path of ['/admin/documents', '/admin/reindex']) expect(responses(path), path).toHaveProperty('409');
  });
});

describe('one limit, one place', () => {
  it('the committed limits are the same on HTTP, MCP and OpenAPI', async () => {
    const s = await surfaces();
    const max = TOOLS.search.input.shape.query.maxLength!;
    expect(max).toBe(2000);
    expect(s.body('/api/search').query!.maxLength).toBe(max);
    expect(s.body('/api/chat').message!.maxLength).toBe(TOOLS.answer.input.shape.question.maxLength);
    expect(s.mcpMax('search_policies', 'query')).toBe(max);
    expect(s.mcpMax('answer_question', 'question')).toBe(max);
    expect((await postJson(`${s.url}/api/search`, { query: '营'.repeat(max + 1) })).status).toBe(400);
    expect(await s.callRejects('search_policies', { query: '营'.repeat(max + 1) })).toBe(true);
    await s.close();
  });

  it('changing the schema changes HTTP validation, MCP and OpenAPI together', async () => {
    const s = await surfaces(withQueryLimit(6));
    expect(s.body('/api/search').query!.maxLength).toBe(6);
    expect(s.body('/api/chat').message!.maxLength).toBe(6);
    expect(s.mcpMax('search_policies', 'query')).toBe(6);
    expect(s.mcpMax('answer_question', 'question')).toBe(6);
    const over = '外资银行证券公司';
    const search = await postJson(`${s.url}/api/search`, { query: over });
    expect(search.status).toBe(400);
    expect(((await search.json()) as { error: { message: string } }).error.message).toContain('at most 6 characters here');
    expect((await postJson(`${s.url}/api/chat`, { message: over })).status).toBe(400);
    expect(await s.callRejects('search_policies', { query: over })).toBe(true);
    expect(await s.callRejects('answer_question', { question: over })).toBe(true);
    // Within the limit, all three still answer.
    expect((await postJson(`${s.url}/api/search`, { query: '外资银行' })).status).toBe(200);
    expect(await s.callRejects('search_policies', { query: '外资银行' })).toBe(false);
    await s.close();
  });
});
