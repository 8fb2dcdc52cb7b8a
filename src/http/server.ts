import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openApp, type App } from '../app.ts';
import { AppHolder, AppReloader } from '../app-reload.ts';
import { config } from '../config.ts';
import { UsageError } from '../errors.ts';
import { createHttpApp, type HttpOptions } from './app.ts';
import { mcpRouter } from '../mcp/http.ts';
import { createLogger } from './logger.ts';
import { pagesRouter } from './pages.ts';
import { adminRouter } from './routes/admin.ts';

export interface RunningServer {
  url: string;
  server: Server;
  /** Stops accepting connections, lets running requests finish for a moment, then cuts the rest. */
  close(): Promise<void>;
}

export interface ServerOptions extends HttpOptions {
  port: number;
  host: string;
  /** How long close() waits for running requests (an SSE answer, say) before closing their sockets. */
  closeGraceMs?: number;
}

const IDLE_SWEEP_MS = 100;

export async function startServer(app: App, opts: ServerOptions): Promise<RunningServer> {
  const { port, host, closeGraceMs = 5000, ...http } = opts;
  const server = createServer(createHttpApp(app, http));
  // Bounds on slow clients: a request's headers and body must arrive within these.
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${address.port}`,
    server,
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        const force = setTimeout(() => server.closeAllConnections(), closeGraceMs);
        force.unref();
        // close() drops the connections idle at the time; a keep-alive connection whose response
        // finishes later would otherwise idle for keepAliveTimeout and hold the close up.
        const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
        sweep.unref();
        server.close((err) => {
          clearTimeout(force);
          clearInterval(sweep);
          if (err) reject(err);
          else resolve();
        });
      })),
  };
}

// On SIGTERM, running requests and SSE answers get this long to finish before their sockets are cut.
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * `policy-assistant serve`: opens the app (building the index on first run, with progress on
 * stderr), serves until SIGINT or SIGTERM, then closes gracefully. Logs go to stdout as JSON.
 * The index is hot swapped when another generation is committed or on POST /admin/reindex (see
 * app-reload.ts); conversation limits come from POLICY_ASSISTANT_MAX_CONVERSATIONS and friends.
 */
export async function serveCommand(opts: { port?: string; host?: string }): Promise<number> {
  const cfg = config();
  if (opts.port !== undefined && !/^\d+$/.test(opts.port.trim())) throw new UsageError(`--port must be a number from 0 to 65535, not "${opts.port}"`);
  const port = opts.port === undefined ? cfg.port : Number(opts.port);
  if (port > 65535) throw new UsageError(`--port must be a number from 0 to 65535, not "${opts.port}"`);
  const host = opts.host ?? cfg.host;
  const logger = createLogger();
  const dirs = { corpusDir: cfg.corpusDir, indexDir: cfg.indexDir };
  // A damaged index is served from its intact parts at once; the reloader repairs it in the background.
  const holder = new AppHolder(await openApp({ ...dirs, onDamage: 'serve' }));
  const reloader = new AppReloader(holder, { ...dirs, logger });
  // Everything is built once over holder.live, so each request reads the App current at the time.
  const app = holder.live;
  // The product serves the chat API, the MCP endpoint, the demo and document pages and widget.js.
  const running = await startServer(app, {
    port,
    host,
    logger,
    closeGraceMs: SHUTDOWN_GRACE_MS,
    extraRouters: [mcpRouter(app), pagesRouter(app), adminRouter(holder, reloader)],
  });
  reloader.watch();
  process.stderr.write(`policy-assistant: serving on ${running.url} (API description at ${running.url}/openapi.json)\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  logger.info({ signal }, 'shutting down');
  // First, so a background build stops taking CPU from the requests still being answered.
  reloader.close();
  await running.close();
  await reloader.settled();
  logger.info('stopped');
  return 0;
}
