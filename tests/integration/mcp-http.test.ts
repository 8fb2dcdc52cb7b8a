import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { sharedApp } from '../app-fixture.ts';
import { mcpRouter, type McpHttpOptions } from '../../src/mcp/http.ts';

const servers: http.Server[] = [];

/** A real express server on 127.0.0.1 with the MCP router mounted, as `npm start` will have it. */
async function serve(opts: McpHttpOptions = {}): Promise<string> {
  const web = express();
  web.use(mcpRouter(await sharedApp(), opts));
  const server = web.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
}

afterAll(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

async function connect(url: string, init: { headers?: Record<string, string>; fetch?: FetchLike } = {}): Promise<Client> {
  const client = new Client({ name: 'mcp-http-test', version: '0.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: init.headers }, fetch: init.fetch }));
  return client;
}

/** fetch cannot set Host; a DNS-rebinding page reaches the server under a foreign name, so send one over node:http. */
const withHost =
  (host: string): FetchLike =>
  (url, init) =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      new Headers(init?.headers).forEach((v, k) => (headers[k] = v));
      const req = http.request(new URL(url), { method: init?.method ?? 'GET', headers: { ...headers, host }, signal: init?.signal ?? undefined }, (res) => {
        const out = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out.set(k, String(v));
        // Streamed, not buffered: the client's GET is a long-lived event stream.
        resolve(new Response(Readable.toWeb(res) as unknown as BodyInit, { status: res.statusCode, headers: out }));
      });
      req.on('error', reject);
      req.end(init?.body as string | undefined);
    });

const rawPost = async (url: string, headers: Record<string, string>, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify(body) });

const INITIALIZE = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } };

describe('MCP over Streamable HTTP', () => {
  let url: string;
  beforeAll(async () => {
    url = await serve();
  });

  it('serves a session: tools/list and a tool call', async () => {
    const client = await connect(url);
    const { tools } = await client.listTools();
    expect(tools).toHaveLength(4);
    const r = (await client.callTool({ name: 'get_clause', arguments: { id: 'd08419644f-a6-9652' } })) as CallToolResult;
    expect(r.isError).toBeFalsy();
    expect((r.structuredContent as { clause: { label: string } }).clause.label).toMatch(/第六条$/);
    const search = (await client.callTool({ name: 'search_policies', arguments: { query: '' } })) as CallToolResult;
    expect(search.isError).toBe(true);
    await client.close();
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    await expect(connect(url, { fetch: withHost('evil.example:80') })).rejects.toThrow(/Forbidden: Host .*evil\.example:80/);
    // The allowed names work through the same path.
    const port = new URL(url).port;
    const ok = await connect(url, { fetch: withHost(`localhost:${port}`) });
    await ok.close();
  });

  it('refuses a foreign Origin', async () => {
    const res = await rawPost(url, { origin: 'https://evil.example' }, INITIALIZE);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/Origin/);
  });

  it('needs a session for anything but initialize, and says so', async () => {
    const res = await rawPost(url, {}, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect(res.status).toBe(400);
    const gone = await rawPost(url, { 'mcp-session-id': 'no-such-session' }, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect(gone.status).toBe(404);
  });
});

describe('bearer token', () => {
  let url: string;
  beforeAll(async () => {
    url = await serve({ token: 's3cret-token' });
  });

  it('refuses a wrong or missing token with 401 JSON', async () => {
    await expect(connect(url, { headers: { Authorization: 'Bearer wrong' } })).rejects.toThrow(/401|Unauthorized/);
    const res = await rawPost(url, {}, INITIALIZE);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await res.json()).toMatchObject({ error: { message: expect.stringMatching(/Unauthorized/) } });
  });

  it('serves with the right token', async () => {
    const client = await connect(url, { headers: { Authorization: 'Bearer s3cret-token' } });
    expect((await client.listTools()).tools).toHaveLength(4);
    await client.close();
  });
});

describe('session bounds', () => {
  it('evicts the least recently used session when full', async () => {
    const url = await serve({ maxSessions: 2 });
    const [a, b] = [await connect(url), await connect(url)];
    await b.listTools();
    const c = await connect(url);
    await expect(a.listTools()).rejects.toThrow(/404|Session not found/);
    expect((await b.listTools()).tools).toHaveLength(4);
    expect((await c.listTools()).tools).toHaveLength(4);
    await Promise.all([b.close(), c.close()]);
  });

  it('expires idle sessions', async () => {
    const url = await serve({ idleTimeoutMs: 200 });
    const client = await connect(url);
    await new Promise((r) => setTimeout(r, 700));
    await expect(client.listTools()).rejects.toThrow(/404|Session not found/);
  });
});
