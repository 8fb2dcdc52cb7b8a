// Issue 7: no leaks. A distinctive LLM key and MCP token in the environment, an LLM that cannot be
// reached (so every answer takes the offline fallback), a failure whose error carries the key: the
// secrets appear in no response and no log line, and no response shows a stack or a file path.

import path from 'node:path';
import { Writable } from 'node:stream';
import { Router } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Answer } from '../../src/answer/types.ts';
import { openApp } from '../../src/app.ts';
import { createHttpApp } from '../../src/http/app.ts';
import { secretsFromEnv } from '../../src/config.ts';
import { createLogger } from '../../src/http/logger.ts';
import { mcpRouter } from '../../src/mcp/http.ts';
import { sharedApp } from '../app-fixture.ts';
import { listen, type Listening } from '../e2e/browser.ts';
import { CORPUS, ROOT } from '../helpers.ts';
import { parseSse, postJson } from './http-helpers.ts';

const LLM_KEY = 'sk-leak-test-LLMKEY-c41d7e2b9f06a853';
const MCP_TOKEN = 'mcp-leak-test-TOKEN-0b7f3e96d24a1c58';
const ENV = {
  POLICY_ASSISTANT_LLM_API_KEY: LLM_KEY,
  // Port 9 (discard) is closed here: the connection is refused at once.
  POLICY_ASSISTANT_LLM_BASE_URL: 'http://127.0.0.1:9/v1',
  POLICY_ASSISTANT_LLM_MODEL: 'leak-test-model',
  POLICY_ASSISTANT_LLM_TIMEOUT_MS: '5000',
  POLICY_ASSISTANT_MCP_TOKEN: MCP_TOKEN,
};

let server: Listening;
const logs: string[] = [];
const responses: string[] = [];
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  for (const [k, v] of Object.entries(ENV)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  // The shared app's embedder, but the LLM configured from the environment above.
  const app = await openApp({
    corpusDir: CORPUS,
    indexDir: process.env.POLICY_ASSISTANT_INDEX_DIR ?? path.join(ROOT, 'embeddings'),
    quiet: true,
    embedder: (await sharedApp()).embedder,
  });
  expect(app.answers.mode).toBe('llm');
  // A failure deep in some library whose error quotes the request, credentials and all.
  const failing = Router().get('/boom', () => {
    throw Object.assign(new Error(`401 from upstream: invalid api key ${LLM_KEY}`), {
      apiKey: LLM_KEY,
      config: { headers: { authorization: `Bearer ${LLM_KEY}` } },
    });
  });
  // startTestServer serves the shared (offline) app; this one must answer with the LLM configured.
  server = await listen(createHttpApp(app, { logger: createLogger({ level: 'debug', destination: sink }), extraRouters: [mcpRouter(app), failing] }));
});

afterAll(async () => {
  await server?.close();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

async function text(res: Response): Promise<string> {
  const body = await res.text();
  const headers: string[] = [];
  res.headers.forEach((v, k) => headers.push(`${k}: ${v}`));
  responses.push(body, ...headers);
  return body;
}

describe('secrets, stacks and paths stay on the server', () => {
  it('an answer that fell back from the unreachable LLM says so without the key', async () => {
    const res = await postJson(`${server.url}/api/chat`, { message: '专精特新中小企业通过融资租赁购置设备，每年补贴上限是多少？' });
    expect(res.status).toBe(200);
    const a = JSON.parse(await text(res)) as Answer;
    expect(a.mode).toBe('extractive');
    expect(a.notices.map((n) => n.text).join('')).toContain('大模型暂不可用');
  });

  it('so does a streamed one', async () => {
    const res = await fetch(`${server.url}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ message: 'Can a foreign bank hold shares in a securities company?' }),
    });
    const events = parseSse(await text(res));
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { mode: 'extractive', notices: expect.arrayContaining([expect.objectContaining({ kind: 'llm_fallback', text: expect.stringContaining('language model was unavailable') })]) } });
  });

  it('an internal error is a bare 500; its log line keeps the stack but masks the key', async () => {
    const res = await fetch(`${server.url}/boom`);
    expect(res.status).toBe(500);
    const body = JSON.parse(await text(res)) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('internal');
    expect(body.error.message).toMatch(/^internal error \(request id [\w-]+\); the server logged it$/);
    await new Promise((r) => setTimeout(r, 50));
    const line = logs.map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message: string; stack: string } }).find((l) => l.msg === 'unhandled error');
    expect(line?.level).toBe(50);
    expect(line?.err?.message).toBe('401 from upstream: invalid api key [redacted]');
    expect(line?.err?.stack).toContain('    at ');
  });

  it('the MCP token sent with every MCP request is never logged', async () => {
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'leaks', version: '0' } } };
    const denied = await fetch(`${server.url}/mcp`, { method: 'POST', headers, body: JSON.stringify(init) });
    expect(denied.status).toBe(401);
    await text(denied);
    const ok = await fetch(`${server.url}/mcp`, { method: 'POST', headers: { ...headers, authorization: `Bearer ${MCP_TOKEN}` }, body: JSON.stringify(init) });
    expect(ok.status).toBe(200);
    await text(ok);
  });

  it('no response carried a secret, a stack or a path; no log line a secret', async () => {
    await new Promise((r) => setTimeout(r, 50));
    expect(responses.length).toBeGreaterThan(0);
    const sent = responses.join('\n');
    for (const needle of [LLM_KEY, MCP_TOKEN, '    at ', '/work/', 'node_modules', '.ts:']) expect(sent).not.toContain(needle);
    const logged = logs.join('\n');
    expect(logged).toContain('[redacted]');
    expect(logged).not.toContain(LLM_KEY);
    expect(logged).not.toContain(MCP_TOKEN);
  });

  it('finds the secrets by the names of their variables', () => {
    expect(secretsFromEnv({ POLICY_ASSISTANT_LLM_API_KEY: LLM_KEY, POLICY_ASSISTANT_MCP_TOKEN: MCP_TOKEN, DB_PASSWORD: 'hunter2hunter2', POLICY_ASSISTANT_LLM_MODEL: 'gpt-4o-mini-2024', SHORT_TOKEN: 'abc' })).toEqual([
      LLM_KEY,
      MCP_TOKEN,
      'hunter2hunter2',
    ]);
  });
});
