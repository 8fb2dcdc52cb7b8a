import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { openApp, type App } from '../app.ts';
import { AppHolder, AppReloader } from '../app-reload.ts';
import { config } from '../config.ts';
import { UsageError } from '../errors.ts';
import { createHttpApp, workControl, type HttpOptions } from './app.ts';
import { overloadSettings, RETRY_AFTER_SECONDS } from './overload.ts';
import { mcpRouter } from '../mcp/http.ts';
import { loadTranslator } from '../retrieve/english/translate.ts';
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
// node enforces headersTimeout and requestTimeout only when it sweeps its connections (every 30 s
// by default), so a slow client could hold one for up to 30 s past its timeout; each second instead.
const TIMEOUT_CHECK_MS = 1000;

export async function startServer(app: App, opts: ServerOptions): Promise<RunningServer> {
  const { port, host, closeGraceMs = 5000, ...http } = opts;
  const limits = overloadSettings(http.overload);
  await warmUp(app);
  // The app makes its own gate from these limits unless one is shared (serveCommand's, with /mcp).
  const express = createHttpApp(app, { ...http, overload: limits });
  // Bounds on slow clients: a request's headers, then its whole body, must arrive within these.
  const overCap = new WeakSet<Socket>();
  const server = createServer({ headersTimeout: limits.headersTimeoutMs, requestTimeout: limits.requestTimeoutMs, connectionsCheckingInterval: TIMEOUT_CHECK_MS }, (req, res) =>
    overCap.has(req.socket) ? refuseConnection(res, limits.maxConnectionsPerClient) : express(req, res),
  );
  server.maxConnections = limits.maxConnections;
  capConnectionsPerClient(server, limits.maxConnectionsPerClient, overCap, express.get('trust proxy fn') as (addr: string, i: number) => boolean);
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

/**
 * What loads on first use, synchronously, is loaded before listening rather than in a request,
 * where it would stall every other request and /healthz with it: jieba's dictionary (~1 s), the
 * English dictionary of the first English question (~0.4 s), the scan worker and the code paths
 * of a search. A search that fails (a damaged index being served from its intact parts) is left
 * to its requests.
 */
async function warmUp(app: App): Promise<void> {
  app.lexical.tokenize('北京市');
  loadTranslator();
  await app.retriever.search('北京市自由贸易试验区', { k: 1 }).catch(() => undefined);
}

/**
 * At most `cap` open connections per remote address, so one client cannot use up maxConnections
 * for everyone; requests on a connection past the cap get a 503 and the connection is closed. A
 * trusted proxy carries many clients on its connections and is exempt (its own limits apply).
 */
function capConnectionsPerClient(server: Server, cap: number, overCap: WeakSet<Socket>, trusted: (addr: string, i: number) => boolean): void {
  if (!cap) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const addr = socket.remoteAddress;
    if (!addr || trusted(addr, 0)) return;
    const n = (open.get(addr) ?? 0) + 1;
    // Answered through node's own HTTP handling (never reaching the app), so the 503 is well formed.
    if (n > cap) return void overCap.add(socket);
    open.set(addr, n);
    socket.once('close', () => {
      const left = (open.get(addr) ?? 1) - 1;
      if (left > 0) open.set(addr, left);
      else open.delete(addr);
    });
  });
}

function refuseConnection(res: ServerResponse, cap: number): void {
  res.writeHead(503, { 'Content-Type': 'application/json; charset=utf-8', 'Retry-After': String(RETRY_AFTER_SECONDS), Connection: 'close' });
  res.end(JSON.stringify({ error: { code: 'unavailable', message: `at most ${cap} open connections per client address; close some and retry` } }));
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
  // One gate for the API and /mcp, so answer and search work is bounded across both.
  const limits = overloadSettings({}, cfg.overload);
  const work = workControl(limits);
  // The product serves the chat API, the MCP endpoint, the demo and document pages and widget.js.
  const running = await startServer(app, {
    port,
    host,
    logger,
    closeGraceMs: SHUTDOWN_GRACE_MS,
    overload: limits,
    work,
    extraRouters: [mcpRouter(app, { work }), pagesRouter(app), adminRouter(holder, reloader)],
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
  await holder.current().conversations.close();
  logger.info('stopped');
  return 0;
}
