/**
 * npm run bench:load: the real server (`node dist/cli.js serve`) in its own process, driven over
 * loopback from this one. Per scenario, with request bodies rotating through the dev-set questions:
 * - one user, back to back, for 10 s: the baseline p95;
 * - 50 users each asking once a second for 30 s, evenly staggered, open loop (a request goes out on
 *   schedule whether or not the user's last one was answered): targets 0 errors and p95 ≤ 2× the
 *   baseline's;
 * - closed-loop capacity: N clients back to back (autocannon) for 15 s, at N = the in-flight bound
 *   and N = in-flight + queue bound (so none is refused), giving the most requests a second served.
 * Alongside each run a probe times GET /healthz every 200 ms: a slow health check means the
 * server's event loop was blocked, not merely busy. Last, overload: 120 clients search back to back
 * (every query new) from another process for 5 s, far past the in-flight bound; every refusal must
 * be a 503 with Retry-After and /healthz, timed every 20 ms, must stay under 100 ms throughout.
 * Rate limits and the per-address connection cap are off: every request here comes from one
 * address. Bounded: ~4 minutes; the server is stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { RETRY_AFTER_SECONDS } from '../../src/http/overload.ts';
import { projectRoot } from '../../src/util/paths.ts';
import { loadDevSet, percentile } from './dev-set.ts';
import { flood, probeHealth } from './flood.ts';

const HOST = '127.0.0.1';
const SINGLE_SECONDS = 10;
const LOAD_SECONDS = 30;
const CAPACITY_SECONDS = 15;
const USERS = 50;
/** Requests per second each of the 50 paced users sends. */
const PACED_RATE = 1;
const REQUEST_TIMEOUT_S = 10;
const STARTUP_TIMEOUT_MS = 5 * 60_000; // a first start may build the index
const MAX_P95_RATIO = 2;
const PROBE_EVERY_MS = 200;
/** The overload run: clients flooding past the bound, for how long, and /healthz's target meanwhile. */
const FLOOD_CLIENTS = 120;
const FLOOD_MS = 5000;
const FLOOD_PROBE_MS = 20;
const FLOOD_HEALTH_MAX_MS = 100;
/** Closed-loop client counts: the in-flight bound, and in-flight + queue (the most admitted at once). */
// The configured defaults (an empty environment), which the server runs with.
const BOUNDS = loadConfig({}).overload;
const CAPACITY_CLIENTS = [BOUNDS.maxInFlight, BOUNDS.maxInFlight + BOUNDS.maxQueued];
// Per-client rate limits (on by default, e.g. chat 20/60s) and the per-address connection cap off:
// every request here comes from one address, and the run measures the server, not its throttling.
const RAISED_LIMITS = { ...Object.fromEntries(['POLICY_ASSISTANT_RATE_LIMIT_CHAT', 'POLICY_ASSISTANT_RATE_LIMIT_SEARCH', 'POLICY_ASSISTANT_RATE_LIMIT_API'].map((name) => [name, 'off'])), POLICY_ASSISTANT_MAX_CONNECTIONS_PER_CLIENT: '0' };

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

/** GET /healthz times, every PROBE_EVERY_MS until `done` settles. */
async function healthTimes(url: string, done: PromiseLike<unknown>): Promise<number[]> {
  let running = true;
  void Promise.resolve(done).finally(() => (running = false));
  return (await probeHealth(url, PROBE_EVERY_MS, () => !running)).map((p) => p.ms);
}

/** Sums autocannon's results and this process's latency records into a Run. */
function summarise(results: { requests: number; duration: number; errors: number; timeouts: number; non2xx: number; statuses: Map<string, number> }[], latencies: number[], health: number[], connections: number, loadBefore: number, rate?: number): Run {
  const sum = (f: (r: (typeof results)[number]) => number) => results.reduce((t, r) => t + f(r), 0);
  const statuses = new Map<string, number>();
  for (const r of results) for (const [code, count] of r.statuses) statuses.set(code, (statuses.get(code) ?? 0) + count);
  return {
    connections,
    rate,
    reqPerSec: sum((r) => r.requests) / Math.max(...results.map((r) => r.duration)),
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

/** `connections` clients back to back for `seconds` (closed loop: each sends when its last is answered). */
async function closedLoop(url: string, s: Scenario, connections: number, seconds: number): Promise<Run> {
  let n = 0;
  const latencies: number[] = [];
  const loadBefore = loadavg()[0]!;
  const instance = autocannon({
    url: url + s.path,
    connections,
    duration: seconds,
    timeout: REQUEST_TIMEOUT_S,
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    // One request template whose body moves on to the next question each time it is sent.
    requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify(s.body(n++)) }) }],
  });
  // autocannon's summary has no p95, so latencies are recorded here, one per response.
  instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => latencies.push(ms));
  // Wrapped: awaiting the instance itself waits for the run (it is a thenable).
  const done = Promise.resolve(instance);
  const [r, health] = await Promise.all([done, healthTimes(url, done)]);
  const statuses = new Map(Object.entries(r.statusCodeStats).map(([code, { count }]) => [code, count]));
  return summarise([{ requests: r.requests.total, duration: r.duration, errors: r.errors, timeouts: r.timeouts, non2xx: r.non2xx, statuses }], latencies, health, connections, loadBefore);
}

/**
 * `users` users for `seconds`, each sending `rate` requests a second on a fixed schedule (open
 * loop), user u offset by u/(users·rate) s so arrivals are spread evenly. Each user has its own
 * keep-alive connection (a second one only while a request of theirs is still outstanding).
 */
async function openLoop(url: string, s: Scenario, users: number, seconds: number, rate: number): Promise<Run> {
  let n = 0;
  const latencies: number[] = [];
  const statuses = new Map<string, number>();
  let errors = 0;
  let timeouts = 0;
  let non2xx = 0;
  const loadBefore = loadavg()[0]!;
  const target = new URL(url + s.path);
  const agents = Array.from({ length: users }, () => new Agent({ keepAlive: true }));
  const send = (agent: Agent) =>
    new Promise<void>((resolve) => {
      const body = JSON.stringify(s.body(n++));
      const start = performance.now();
      const req = request(target, { method: 'POST', agent, headers: { 'content-type': 'application/json', accept: 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: REQUEST_TIMEOUT_S * 1000 }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - start);
          const code = String(res.statusCode);
          statuses.set(code, (statuses.get(code) ?? 0) + 1);
          if (!res.statusCode || res.statusCode >= 300) non2xx++;
          resolve();
        });
      });
      req.on('timeout', () => {
        timeouts++;
        req.destroy(new Error('timeout'));
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
  const t0 = performance.now() + 100;
  const sends: Promise<void>[] = [];
  const scheduled = new Promise<void>((resolveAll) => {
    let pending = users * seconds * rate;
    for (let u = 0; u < users; u++)
      for (let k = 0; k < seconds * rate; k++)
        setTimeout(
          () => {
            sends.push(send(agents[u]!));
            if (--pending === 0) resolveAll();
          },
          t0 + ((k + u / users) / rate) * 1000 - performance.now(),
        );
  });
  const done = scheduled.then(() => Promise.all(sends));
  const [, health] = await Promise.all([done, healthTimes(url, done)]);
  for (const a of agents) a.destroy();
  return summarise([{ requests: latencies.length, duration: seconds, errors: errors - timeouts, timeouts, non2xx, statuses }], latencies, health, users, loadBefore, rate);
}

/**
 * Past the in-flight bound: FLOOD_CLIENTS clients search back to back from another process, every
 * query new, while /healthz is timed every FLOOD_PROBE_MS; first on the idle server, as the baseline.
 */
async function overloadRun(url: string, questions: string[]) {
  const idleUntil = Date.now() + 2000;
  const idle = (await probeHealth(url, FLOOD_PROBE_MS, () => Date.now() > idleUntil)).map((p) => p.ms);
  let flooding = true;
  const probing = probeHealth(url, FLOOD_PROBE_MS, () => !flooding);
  const loadBefore = loadavg()[0]!;
  const outcomes = await flood(url, FLOOD_CLIENTS, FLOOD_MS, questions);
  flooding = false;
  const probes = await probing;
  if (probes.some((p) => p.status !== 200)) throw new Error('a /healthz probe failed during the flood');
  return { outcomes, idle, flooded: probes.map((p) => p.ms), load: `${loadBefore.toFixed(1)}→${loadavg()[0]!.toFixed(1)}` };
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
  const results: { scenario: Scenario; single: Run; paced: Run; capacity: Run[] }[] = [];
  let overload: Awaited<ReturnType<typeof overloadRun>> | undefined;
  try {
    console.log(`server ${url} (pid ${child.pid}), answers: ${String(health.answerMode)}, LOG_LEVEL=warn, ${Object.entries(RAISED_LIMITS).map(([k, v]) => `${k}=${v}`).join(' ')}; in-flight bound ${BOUNDS.maxInFlight} + ${BOUNDS.maxQueued} waiting`);
    // Warm-up: every question once, so the single-user baseline and the load run both see a warm
    // query-embedding cache (the uncached scenario bypasses it by design).
    for (const q of questions)
      for (const [p, body] of [['/api/chat', { message: q }], ['/api/search', { query: q }]] as const) {
        const res = await fetch(url + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        if (!res.ok) throw new Error(`warm-up ${p} answered ${res.status}: ${await res.text()}`);
      }
    for (const scenario of scenarios) {
      process.stderr.write(`${scenario.name}: 1 user for ${SINGLE_SECONDS} s, ${USERS} paced users for ${LOAD_SECONDS} s, then ${CAPACITY_CLIENTS.join(' and ')} clients back to back for ${CAPACITY_SECONDS} s each…\n`);
      const single = await closedLoop(url, scenario, 1, SINGLE_SECONDS);
      const paced = await openLoop(url, scenario, USERS, LOAD_SECONDS, PACED_RATE);
      const capacity: Run[] = [];
      for (const n of CAPACITY_CLIENTS) capacity.push(await closedLoop(url, scenario, n, CAPACITY_SECONDS));
      results.push({ scenario, single, paced, capacity });
    }
    process.stderr.write(`overload: ${FLOOD_CLIENTS} clients searching back to back for ${FLOOD_MS / 1000} s, /healthz timed every ${FLOOD_PROBE_MS} ms…\n`);
    overload = await overloadRun(url, questions);
  } finally {
    await stopServer(child);
  }

  const table = [['scenario', 'clients', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'non-2xx', 'timeouts', 'statuses', 'healthz p95/max ms', 'load avg', 'p95 ratio']];
  const cells = (name: string, r: Run, ratio: string) =>
    [name, r.rate ? `${r.connections} × ${r.rate}/s open loop` : r.connections > 1 ? `${r.connections} back to back` : '1 back to back', r.reqPerSec.toFixed(1), r.p50.toFixed(1), r.p95.toFixed(1), r.p99.toFixed(1), r.errors, r.non2xx, r.timeouts, r.statuses, `${r.health.p95.toFixed(0)}/${r.health.max.toFixed(0)}`, r.load, ratio].map(String);
  const misses: string[] = [];
  for (const { scenario, single, paced, capacity } of results) {
    const ratio = paced.p95 / single.p95;
    table.push(cells(scenario.name, single, ''), cells(scenario.name, paced, `${ratio.toFixed(2)}×`), ...capacity.map((c) => cells(scenario.name, c, `${(c.p95 / single.p95).toFixed(1)}×`)));
    if ([single, paced, ...capacity].some((r) => r.errors + r.non2xx + r.timeouts > 0)) misses.push(`${scenario.name}: errors, timeouts or non-2xx responses`);
    if (!(ratio <= MAX_P95_RATIO)) misses.push(`${scenario.name}: p95 of ${USERS} paced users is ${ratio.toFixed(2)}× the single-user p95 (target ≤ ${MAX_P95_RATIO}×)`);
  }
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => [...r[i]!].length)));
  console.log('\n' + table.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n'));
  if (overload) {
    const { outcomes, idle, flooded, load } = overload;
    const refused = outcomes.filter((o) => o.status === 503);
    const other = outcomes.filter((o) => o.status !== 200 && o.status !== 503);
    const max = Math.max(...flooded);
    console.log(
      `\noverload: ${FLOOD_CLIENTS} clients back to back for ${FLOOD_MS / 1000} s from another process, every query new (bound ${BOUNDS.maxInFlight} running + ${BOUNDS.maxQueued} waiting): ` +
        `${outcomes.length - refused.length - other.length} answered, ${refused.length} refused with 503, ${other.length} other; ` +
        `/healthz p50 ${percentile(flooded, 50).toFixed(1)} / p95 ${percentile(flooded, 95).toFixed(1)} / max ${max.toFixed(1)} ms over ${flooded.length} probes ` +
        `(idle before: p95 ${percentile(idle, 95).toFixed(1)} / max ${Math.max(...idle).toFixed(1)} ms; max ${(max / Math.max(...idle)).toFixed(1)}× idle); load avg ${load}`,
    );
    if (other.length || refused.some((o) => o.retryAfter !== String(RETRY_AFTER_SECONDS) || o.code !== 'unavailable') || !refused.length) misses.push('overload: refusals are not all 503 unavailable with Retry-After, or none was refused');
    if (!(max < FLOOD_HEALTH_MAX_MS)) misses.push(`overload: /healthz took up to ${max.toFixed(0)} ms during the flood (target under ${FLOOD_HEALTH_MAX_MS} ms)`);
  }
  console.log(`\n(capacity: the req/s of the back-to-back rows; load avg: 1-minute load average before→after each run on this ${availableParallelism()}-core machine, shared by client, server and whatever else runs)`);
  if (misses.length) {
    console.log(`\ntargets missed:\n  ${misses.join('\n  ')}`);
    process.exitCode = 1;
  } else console.log(`\ntargets met: 0 errors, 0 non-2xx, p95 of ${USERS} paced users ≤ ${MAX_P95_RATIO}× single-user p95; under overload every refusal a 503 with Retry-After and /healthz under ${FLOOD_HEALTH_MAX_MS} ms`);
}

await main();
