/**
 * MCP over stdio, for desktop clients that spawn `policy-assistant mcp`. stdout carries protocol
 * messages only: everything else (progress, logs, warnings) goes to stderr.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { openApp, type App } from '../app.ts';
import { createMcpServer } from './server.ts';

/** Serves until the client closes stdin (or the process is signalled). */
export async function runStdioServer(app: App): Promise<void> {
  const server = createMcpServer(app);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = resolve;
  });
  // The client ending stdin is the end of the session; without this the process would linger.
  process.stdin.once('end', () => void server.close());
  await server.connect(transport);
  await closed;
}

/** The `policy-assistant mcp` command. */
export async function mcpCommand(): Promise<number> {
  // A stray console.log from any dependency would corrupt the protocol stream.
  console.log = console.info = console.debug = console.error;
  const app = await openApp();
  await runStdioServer(app);
  // A Redis connection would otherwise keep the process alive after the session.
  await app.conversations.close();
  return 0;
}
