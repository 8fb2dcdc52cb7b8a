/**
 * npm run bench:load: the real server (`node dist/cli.js serve`) in its own process, driven over
 * loopback by autocannon from this one. Per scenario, with request bodies rotating through the
 * dev-set questions: a single-client baseline (1 connection, 10 s); 50 concurrent clients for 30 s,
 * each sending one request a second as a busy chat user would (the targets: 0 errors, 0 non-2xx,
 * p95 ≤ 10× the single-client p95); and the same 50 clients sending back to back, which saturates
 * the server and measures its capacity (there, latency is queueing: ≈ 50 ÷ throughput).
 * Alongside each run a probe times GET /healthz every 200 ms: a slow health check means the
 * server's event loop was blocked, not merely busy. Bounded: ~4 minutes; the server is stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../src/util/paths.ts';
import { loadDevSet, percentile } from './dev-set.ts';

const HOST = '127.0.0.1';
const SINGLE_SECONDS = 10;
const LOAD_SECONDS = 30;
const LOAD_CONNECTIONS = 50;
/** Requests per second each of the 50 paced clients sends. */
const PACED_RATE = 1;
const REQUEST_TIMEOUT_S = 10;
const STARTUP_TIMEOUT_MS = 5 * 60_000; // a first start may build the index
const MAX_P95_RATIO = 10;
const PROBE_EVERY_MS = 200;
// Per-client rate limits (on by default, e.g. chat 20/60s) raised out of reach: every request here
// comes from one address, and the run measures the server, not its throttling.
const RAISED_LIMITS = Object.fromEntries(['POLICY_ASSISTANT_RATE_LIMIT_CHAT', 'POLICY_ASSISTANT_RATE_LIMIT_SEARCH', 'POLICY_ASSISTANT_RATE_LIMIT_API'].map((name) => [name, '1000000/1s']));

// autocannon ships no types; this is the part used here.
interface Result {
  requests: { total: number };
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
}
interface Request {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}
interface Options {
  url: string;
  connections: number;
  connectionRate?: number;
  duration: number;
  timeout: number;
  method: string;
  headers: Record<string, string>;
  requests: { setupRequest: (req: Request) => Request }[];
}
type Instance = EventEmitter & PromiseLike<Result> & { stop(): void };
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: Options) => Instance;

interface Scenario {
  name: string;
  path: string;
  /** The n-th request's JSON body. */
  body: (n: number) => unknown;
}

interface Run {
  connections: number;
  /** Requests per second per client, when paced. */
  rate?: number;
  reqPerSec: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  non2xx: number;
  timeouts: number;
  statuses: string;
  /** p95 and max of the health-check probe, ms. */
  health: { p95: number; max: number };
  load: string;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(0, HOST, resolve));
  const { port } = srv.address() as { port: number };
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** Starts `node dist/cli.js serve` and waits until /healthz answers; rejects if the process dies first. */
async function startServer(port: number): Promise<{ child: ChildProcess; url: string; health: Record<string, unknown> }> {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', ...RAISED_LIMITS };
  // Offline answers only: an LLM endpoint would make this a benchmark of the LLM.
  for (const k of Object.keys(env)) if (k.startsWith('POLICY_ASSISTANT_LLM_')) delete env[k];
  const child = spawn(process.execPath, [path.join(projectRoot(), 'dist', 'cli.js'), 'serve', '--port', String(port), '--host', HOST], {
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://${HOST}:${port}`;
  const exited = new Promise<never>((_, reject) => child.once('exit', (code, signal) => reject(new Error(`server exited early (${signal ?? code})`))));
  exited.catch(() => undefined);
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  try {
    while (Date.now() < deadline) {
      const health = await Promise.race([
        fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) }).then((r) => (r.ok ? (r.json() as Promise<Record<string, unknown>>) : undefined), () => undefined),
        exited,
      ]);
      if (health) return { child, url, health };
      await Promise.race([new Promise((r) => setTimeout(r, 250)), exited]);
    }
    throw new Error(`server not healthy after ${STARTUP_TIMEOUT_MS / 1000} s`);
  } catch (err) {
    await stopServer(child);
    throw err;
  }
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(force);
}

/** Times GET /healthz every PROBE_EVERY_MS until `done` settles. */
async function probeHealth(url: string, done: PromiseLike<unknown>): Promise<number[]> {
  let running = true;
  void Promise.resolve(done).finally(() => (running = false));
  const times: number[] = [];
  while (running) {
    const t = performance.now();
    await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_S * 1000) }).then((r) => r.arrayBuffer(), () => undefined);
    times.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
  }
  return times;
}

/**
 * Drives `connections` clients for `seconds`: back to back when no rate is given, else each client
 * sends `rate` requests a second. autocannon's pacing releases a client's quota at the start of each
 * second, so paced clients run as separate one-connection instances started at staggered offsets —
 * independent users arrive spread out, not all at once on every second boundary.
 */
async function drive(url: string, s: Scenario, connections: number, seconds: number, rate?: number): Promise<Run> {
  let n = 0;
  const latencies: number[] = [];
  const loadBefore = loadavg()[0]!;
  // Wrapped: resolving a promise with the instance itself would wait for the run (it is a thenable).
  const start = (conns: number, delayMs: number) =>
    new Promise<{ instance: Instance }>((resolve) =>
      setTimeout(() => {
        const instance = autocannon({
          url: url + s.path,
          connections: conns,
          connectionRate: rate,
          duration: seconds,
          timeout: REQUEST_TIMEOUT_S,
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          // One request template whose body moves on to the next question each time it is sent.
          requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify(s.body(n++)) }) }],
        });
        // autocannon's summary has no p95, so latencies are recorded here, one per response.
        instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => latencies.push(ms));
        resolve({ instance });
      }, delayMs),
    );
  const started = rate ? Array.from({ length: connections }, (_, i) => start(1, (i * 1000) / (connections * rate))) : [start(connections, 0)];
  const all = Promise.all(started.map(async (p) => (await p).instance));
  const [results, health] = await Promise.all([all, probeHealth(url, all)]);
  const sum = (f: (r: Result) => number) => results.reduce((t, r) => t + f(r), 0);
  const statuses = new Map<string, number>();
  for (const r of results) for (const [code, { count }] of Object.entries(r.statusCodeStats)) statuses.set(code, (statuses.get(code) ?? 0) + count);
  return {
    connections,
    rate,
    reqPerSec: sum((r) => r.requests.total) / Math.max(...results.map((r) => r.duration)),
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    errors: sum((r) => r.errors),
    non2xx: sum((r) => r.non2xx),
    timeouts: sum((r) => r.timeouts),
    statuses: [...statuses].map(([code, count]) => `${code}×${count}`).join(' '),
    health: { p95: percentile(health, 95), max: Math.max(...health) },
    load: `${loadBefore.toFixed(1)}→${loadavg()[0]!.toFixed(1)}`,
  };
}

async function main() {
  const questions = (await loadDevSet()).map((q) => q.question);
  const at = (n: number) => questions[n % questions.length]!;
  const scenarios: Scenario[] = [
    { name: 'chat', path: '/api/chat', body: (n) => ({ message: at(n) }) },
    { name: 'search', path: '/api/search', body: (n) => ({ query: at(n) }) },
    // A fresh text each time misses the query-embedding cache: every request is a model call.
    { name: 'search, uncached', path: '/api/search', body: (n) => ({ query: `${at(n)} ${n}` }) },
  ];

  const { child, url, health } = await startServer(await freePort());
  const stop = () => void stopServer(child).finally(() => process.exit(130));
  process.once('SIGINT', stop).once('SIGTERM', stop);
  const results: { scenario: Scenario; single: Run; paced: Run; saturated: Run }[] = [];
  try {
    console.log(`server ${url} (pid ${child.pid}), answers: ${String(health.answerMode)}, LOG_LEVEL=warn, rate limits raised (${Object.entries(RAISED_LIMITS).map(([k, v]) => `${k}=${v}`).join(' ')})`);
    // Warm-up: every question once, so the single-client baseline and the load run both see a warm
    // query-embedding cache (the uncached scenario bypasses it by design).
    for (const q of questions)
      for (const [p, body] of [['/api/chat', { message: q }], ['/api/search', { query: q }]] as const) {
        const res = await fetch(url + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        if (!res.ok) throw new Error(`warm-up ${p} answered ${res.status}: ${await res.text()}`);
      }
    for (const scenario of scenarios) {
      process.stderr.write(`${scenario.name}: 1 client for ${SINGLE_SECONDS} s, then ${LOAD_CONNECTIONS} paced and ${LOAD_CONNECTIONS} back to back for ${LOAD_SECONDS} s each…\n`);
      const single = await drive(url, scenario, 1, SINGLE_SECONDS);
      const paced = await drive(url, scenario, LOAD_CONNECTIONS, LOAD_SECONDS, PACED_RATE);
      const saturated = await drive(url, scenario, LOAD_CONNECTIONS, LOAD_SECONDS);
      results.push({ scenario, single, paced, saturated });
    }
  } finally {
    await stopServer(child);
  }

  const table = [['scenario', 'clients', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'non-2xx', 'timeouts', 'statuses', 'healthz p95/max ms', 'load avg', 'p95 ratio']];
  const cells = (name: string, r: Run, ratio: string) =>
    [name, r.rate ? `${r.connections} × ${r.rate}/s` : r.connections > 1 ? `${r.connections} back to back` : 1, r.reqPerSec.toFixed(1), r.p50.toFixed(1), r.p95.toFixed(1), r.p99.toFixed(1), r.errors, r.non2xx, r.timeouts, r.statuses, `${r.health.p95.toFixed(0)}/${r.health.max.toFixed(0)}`, r.load, ratio].map(String);
  const misses: string[] = [];
  for (const { scenario, single, paced, saturated } of results) {
    const ratio = paced.p95 / single.p95;
    table.push(cells(scenario.name, single, ''), cells(scenario.name, paced, `${ratio.toFixed(1)}×`), cells(scenario.name, saturated, `${(saturated.p95 / single.p95).toFixed(1)}×`));
    if ([single, paced, saturated].some((r) => r.errors + r.non2xx + r.timeouts > 0)) misses.push(`${scenario.name}: errors, timeouts or non-2xx responses`);
    if (!(ratio <= MAX_P95_RATIO)) misses.push(`${scenario.name}: p95 of ${LOAD_CONNECTIONS} paced clients is ${ratio.toFixed(1)}× the single-client p95 (target ≤ ${MAX_P95_RATIO}×)`);
  }
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => [...r[i]!].length)));
  console.log('\n' + table.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n'));
  console.log(`\n(load avg: 1-minute load average before→after each run on this ${availableParallelism()}-core machine; client and server share it)`);
  if (misses.length) {
    console.log(`\ntargets missed:\n  ${misses.join('\n  ')}`);
    process.exitCode = 1;
  } else console.log(`\ntargets met: 0 errors, 0 non-2xx, p95 of ${LOAD_CONNECTIONS} clients ≤ ${MAX_P95_RATIO}× single-client p95; back to back, latency is queueing at the capacity shown`);
}

await main();
