import { execFileSync, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult, TextContent } from '@modelcontextprotocol/sdk/types.js';
import { sharedApp } from '../app-fixture.ts';
import { ROOT } from '../helpers.ts';

// The real command a desktop client spawns: `policy-assistant mcp` from the built bundle.
const COMMAND = ['bin/policy-assistant.js', 'mcp'];
const env = { ...(process.env as Record<string, string>), POLICY_ASSISTANT_QUIET: '1' };

beforeAll(async () => {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
  // The index must exist before timing start-up; the fixture builds it in a fresh checkout.
  await sharedApp();
});

describe('policy-assistant mcp over stdio', () => {
  let client: Client;
  let stderr = '';
  beforeAll(async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: COMMAND, cwd: ROOT, env, stderr: 'pipe' });
    transport.stderr?.on('data', (d: Buffer) => (stderr += d));
    client = new Client({ name: 'mcp-stdio-test', version: '0.0.0' });
    await client.connect(transport);
  });
  afterAll(() => client?.close());

  it('lists the tools and answers search_policies and get_clause', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['answer_question', 'get_clause', 'list_documents', 'search_policies']);
    const search = (await client.callTool({ name: 'search_policies', arguments: { query: '外资银行 证券公司', k: 3 } })) as CallToolResult;
    expect(search.isError).toBeFalsy();
    const hit = (search.structuredContent as { results: { id: string; text: string }[] }).results[0]!;
    const clause = (await client.callTool({ name: 'get_clause', arguments: { id: hit.id } })) as CallToolResult;
    expect(clause.isError).toBeFalsy();
    expect((clause.structuredContent as { clause: { text: string } }).clause.text).toContain(hit.text.slice(0, 20));
    const missing = (await client.callTool({ name: 'get_clause', arguments: { id: 'd08419644f-a999-ffff' } })) as CallToolResult;
    expect(missing.isError).toBe(true);
    expect((missing.content[0] as TextContent).text).toMatch(/no clause has id/);
    expect(stderr).not.toMatch(/unexpected error/);
  });
});

describe('stdout discipline and start-up', () => {
  it('writes only protocol messages on stdout, answers tools/list quickly and exits when stdin closes', async () => {
    // Without POLICY_ASSISTANT_QUIET, so progress lines are produced and must land on stderr.
    const { POLICY_ASSISTANT_QUIET: _quiet, ...loud } = env;
    const started = Date.now();
    const child = spawn(process.execPath, COMMAND, { cwd: ROOT, env: loud, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let toolsListMs = 0;
    const send = (m: object) => child.stdin.write(`${JSON.stringify(m)}\n`);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const listed = new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d;
        if (out.includes('"id":1') && !out.includes('"id":2') && !toolsListMs) {
          send({ jsonrpc: '2.0', method: 'notifications/initialized' });
          send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
        }
        if (out.includes('"id":2') && !toolsListMs) {
          toolsListMs = Date.now() - started;
          resolve();
        }
      });
    });
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } });
    await listed;
    child.stdin.end();
    expect(await exited).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
    console.info(`policy-assistant mcp: first tools/list response after ${toolsListMs} ms`);
    // The target is under 3 s with a built index (measured ~2.1 s); the bound here leaves room for a loaded CI machine.
    expect(toolsListMs).toBeLessThan(10_000);
  });
});
