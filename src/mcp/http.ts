/**
 * MCP over Streamable HTTP at /mcp, as an express Router to mount on the API server. One McpServer
 * and transport per session, as the SDK recommends: the transport is created on `initialize`, found
 * again by its Mcp-Session-Id header, and dropped on DELETE, when idle too long, or when a session
 * limit is reached. Each client address holds at most `maxSessionsPerClient`: past it, the address's
 * own least recently used idle session makes room, never another address's. When all `maxSessions`
 * are taken, the idle session least recently used by the address holding the most goes.
 *
 * DNS-rebinding protection is middleware here rather than the transport's own
 * enableDnsRebindingProtection/allowedHosts/allowedOrigins options, which SDK 1.32 deprecates in
 * favour of middleware; it also runs before a session is looked up or created.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { App } from '../app.ts';
import { config } from '../config.ts';
import { admitOrRefuse, clientSignal, OverloadedError, type WorkControl } from '../http/overload.ts';
import { TOOLS } from '../tools/index.ts';
import { isAborted } from '../util/abort.ts';
import { createMcpServer } from './server.ts';

export interface McpHttpOptions {
  /**
   * Host header values accepted, exactly (e.g. "policy.example.org", "myhost:8080"). Default: env
   * POLICY_ASSISTANT_MCP_ALLOWED_HOSTS (comma-separated), else localhost, 127.0.0.1 and [::1] at the
   * port the request came in on.
   */
  allowedHosts?: string[];
  /** Origin header values accepted when a request has one. Default: env POLICY_ASSISTANT_MCP_ALLOWED_ORIGINS, else http(s):// each allowed host. */
  allowedOrigins?: string[];
  /** A bearer token every request must carry. Default: env POLICY_ASSISTANT_MCP_TOKEN; none when empty. */
  token?: string;
  /** Sessions kept at once. Default: env POLICY_ASSISTANT_MCP_MAX_SESSIONS, else 100. */
  maxSessions?: number;
  /** Sessions one client address keeps at once. Default: POLICY_ASSISTANT_MCP_MAX_SESSIONS_PER_CLIENT (src/config.ts). */
  maxSessionsPerClient?: number;
  /** A session without requests this long is closed. Default: env POLICY_ASSISTANT_MCP_SESSION_IDLE_SECONDS × 1000, else 30 minutes. */
  idleTimeoutMs?: number;
  /** The API's gate: answer_question and search_policies calls wait for (or are refused) a slot with the API's own work. */
  work?: WorkControl;
}

/** Tool calls that compute (retrieval, answering), as against reading a clause or listing documents. */
const BOUNDED_TOOLS = new Set([TOOLS.answer.name, TOOLS.search.name]);

const MAX_BODY = '1mb';
const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];

interface Session {
  server: McpServer;
  transport: StreamableHTTPServerTransport;
  lastSeen: number;
  /** Requests in flight: a session at work is never expired or evicted. */
  active: number;
  /** The client address that opened it (req.ip, so behind a trusted proxy the forwarded one). */
  client: string;
}

export function mcpRouter(app: App, opts: McpHttpOptions = {}): express.Router {
  const cfg = config().mcp;
  const allowedHosts = opts.allowedHosts ?? nonEmpty(cfg.allowedHosts);
  const allowedOrigins = opts.allowedOrigins ?? nonEmpty(cfg.allowedOrigins);
  const token = opts.token ?? cfg.token;
  const maxSessions = opts.maxSessions ?? cfg.maxSessions;
  const maxPerClient = opts.maxSessionsPerClient ?? cfg.maxSessionsPerClient;
  const idleTimeoutMs = opts.idleTimeoutMs ?? cfg.idleTimeoutMs;

  const sessions = new Map<string, Session>();

  const close = (id: string, s: Session): void => {
    sessions.delete(id);
    s.server.close().catch(() => {});
  };
  const sweep = (): void => {
    const now = Date.now();
    for (const [id, s] of sessions) if (s.active === 0 && now - s.lastSeen > idleTimeoutMs) close(id, s);
  };
  // unref: the sweeper must not keep a process (or a test run) alive.
  setInterval(sweep, Math.min(idleTimeoutMs, 60_000)).unref();

  const leastRecent = (entries: [string, Session][]): [string, Session] | undefined =>
    entries.filter(([, s]) => s.active === 0).sort(([, a], [, b]) => a.lastSeen - b.lastSeen)[0];

  /** Makes room for one more session of `client`; a reason when it cannot (every candidate is busy). */
  const makeRoom = (client: string): string | undefined => {
    sweep();
    const own = [...sessions].filter(([, s]) => s.client === client);
    if (own.length >= maxPerClient) {
      const idle = leastRecent(own);
      if (!idle) return `this client address already has ${maxPerClient} MCP sessions at work; close one (DELETE /mcp) or try again shortly`;
      close(...idle);
      return undefined;
    }
    if (sessions.size < maxSessions) return undefined;
    // Full: the heaviest holder gives up its least recently used idle session.
    const held = new Map<string, [string, Session][]>();
    for (const entry of sessions) held.set(entry[1].client, [...(held.get(entry[1].client) ?? []), entry]);
    for (const group of [...held.values()].sort((a, b) => b.length - a.length)) {
      const idle = leastRecent(group);
      if (idle) {
        close(...idle);
        return undefined;
      }
    }
    return `Too many active MCP sessions (${maxSessions}); try again shortly`;
  };

  const serve = async (s: Session, req: Request, res: Response): Promise<void> => {
    s.lastSeen = Date.now();
    // A GET is the standing notification stream clients keep open: listening, not work in flight.
    if (req.method !== 'GET') {
      s.active++;
      res.on('close', () => {
        s.active--;
        s.lastSeen = Date.now();
      });
    }
    await s.transport.handleRequest(req, res, req.body);
  };

  const post: RequestHandler = async (req, res) => {
    const id = req.get('mcp-session-id');
    if (id) {
      const s = sessions.get(id);
      if (!s) return rpcError(res, 404, -32001, 'Session not found (it expired or was closed); start a new session with initialize');
      if (opts.work && computes(req.body)) return bounded(opts.work, s, req, res);
      return serve(s, req, res);
    }
    if (!isInitializeRequest(req.body)) return rpcError(res, 400, -32000, 'Bad Request: no Mcp-Session-Id header; start a session with an initialize request');
    const client = req.ip ?? req.socket.remoteAddress ?? '';
    const refused = makeRoom(client);
    if (refused) {
      res.setHeader('Retry-After', '30');
      return rpcError(res, 503, -32000, refused);
    }
    const server = createMcpServer(app);
    const session: Session = {
      server,
      transport: new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        onsessioninitialized: (sid) => {
          sessions.set(sid, session);
        },
      }),
      lastSeen: Date.now(),
      active: 0,
      client,
    };
    session.transport.onclose = () => {
      const sid = session.transport.sessionId;
      if (sid && sessions.get(sid) === session) sessions.delete(sid);
    };
    await server.connect(session.transport);
    return serve(session, req, res);
  };

  /** A computing tool call holds a slot of the shared gate until its response is done. */
  const bounded = async (work: WorkControl, s: Session, req: Request, res: Response): Promise<void> => {
    // The signal drops a call still waiting for its slot when its client leaves.
    const signal = clientSignal(res, work.cancelOnDisconnect);
    let admitted;
    try {
      admitted = admitOrRefuse(work.gate, res, signal);
    } catch (e) {
      if (e instanceof OverloadedError) return rpcError(res, 503, -32000, `Server busy: ${e.message}`);
      throw e;
    }
    const done = new Promise<void>((resolve) => res.once('close', resolve));
    await admitted
      .run(async () => {
        await serve(s, req, res);
        await done;
      })
      .catch((e: unknown) => {
        if (!isAborted(e)) throw e;
      });
  };

  // GET opens the server-to-client SSE stream; DELETE ends the session. Both need a session.
  const existing: RequestHandler = async (req, res) => {
    const id = req.get('mcp-session-id');
    const s = id ? sessions.get(id) : undefined;
    if (!s) return rpcError(res, id ? 404 : 400, id ? -32001 : -32000, id ? 'Session not found; start a new session with initialize' : 'Bad Request: Mcp-Session-Id header required');
    return serve(s, req, res);
  };

  const parseJson = express.json({ limit: MAX_BODY });
  const router = express.Router();
  router.use('/mcp', rebindingGuard(allowedHosts, allowedOrigins), bearerAuth(token));
  router.post('/mcp', (req, res, next) => parseJson(req, res, (err?: unknown) => (err ? rpcError(res, 400, -32700, 'Parse error: the body must be JSON-RPC as JSON') : next())), guarded(post));
  router.get('/mcp', guarded(existing));
  router.delete('/mcp', guarded(existing));
  router.all('/mcp', (_req, res) => {
    res.setHeader('Allow', 'GET, POST, DELETE');
    rpcError(res, 405, -32000, 'Method not allowed; use POST, GET or DELETE');
  });
  return router;
}

/** Host must be allowed; Origin, when a browser sends one, too. */
function rebindingGuard(hosts: string[] | undefined, origins: string[] | undefined): RequestHandler {
  return (req, res, next) => {
    const allowedHosts = hosts ?? LOOPBACK.map((h) => `${h}:${req.socket.localPort}`);
    const allowedOrigins = origins ?? allowedHosts.flatMap((h) => [`http://${h}`, `https://${h}`]);
    const host = (req.headers.host ?? '').toLowerCase();
    if (!allowedHosts.includes(host)) return rpcError(res, 403, -32000, `Forbidden: Host "${host.slice(0, 100)}" is not allowed (set POLICY_ASSISTANT_MCP_ALLOWED_HOSTS)`);
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins.includes(origin.toLowerCase()))
      return rpcError(res, 403, -32000, `Forbidden: Origin "${origin.slice(0, 100)}" is not allowed (set POLICY_ASSISTANT_MCP_ALLOWED_ORIGINS)`);
    next();
  };
}

function bearerAuth(token: string): RequestHandler {
  if (!token) return (_req, _res, next) => next();
  const want = digest(token);
  return (req, res, next) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    // Digests have equal length, so the comparison is constant-time whatever was sent.
    if (m && timingSafeEqual(digest(m[1]!), want)) return next();
    res.setHeader('WWW-Authenticate', 'Bearer realm="policy-assistant"');
    rpcError(res, 401, -32001, m ? 'Unauthorized: wrong bearer token' : 'Unauthorized: send Authorization: Bearer <POLICY_ASSISTANT_MCP_TOKEN>');
  };
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

// Errors on this route are JSON-RPC shaped, as the SDK's own transport answers, so MCP clients can read them.
function rpcError(res: Response, status: number, code: number, message: string): void {
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

/** An async handler whose unexpected failure still gets a JSON-RPC answer (and a line on stderr). */
function guarded(handler: RequestHandler): RequestHandler {
  return async (req, res, next) => {
    try {
      await handler(req, res, next);
    } catch (e) {
      process.stderr.write(`policy-assistant mcp: ${(e as Error)?.stack ?? String(e)}\n`);
      if (!res.headersSent) rpcError(res, 500, -32603, 'Internal error; the server logged it');
    }
  };
}

function computes(body: unknown): boolean {
  const calls = Array.isArray(body) ? body : [body];
  return calls.some((m) => {
    const c = m as { method?: unknown; params?: { name?: unknown } } | null;
    return c?.method === 'tools/call' && typeof c.params?.name === 'string' && BOUNDED_TOOLS.has(c.params.name);
  });
}

const nonEmpty = (items: string[]): string[] | undefined => (items.length ? items.map((s) => s.toLowerCase()) : undefined);
