/**
 * Overload from another process, for tests/integration/overload.test.ts and npm run bench:load:
 * `clients` clients POSTing searches back to back for `ms`, each query a base text made unique (no
 * cache has seen it, so every admitted one is a model call), while the caller times GET /healthz.
 */
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';

const FLOOD_NICENESS = 10;

export interface FloodOutcome {
  status: number;
  retryAfter: string | null;
  code?: string;
}

export async function flood(url: string, clients: number, ms: number, bases: string[]): Promise<FloodOutcome[]> {
  const script = fileURLToPath(new URL('./flood-client.mjs', import.meta.url));
  const child = spawn(process.execPath, [script], { env: { ...process.env, FLOOD: JSON.stringify({ url, clients, ms, bases }) }, stdio: ['ignore', 'pipe', 'inherit'] });
  // At a lower CPU priority, as clients on other machines would be: on one 2-core machine 120 tight
  // client loops otherwise take about half the cores from the server being measured.
  setPriority(child.pid!, FLOOD_NICENESS);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the flood process exited with ${code}`);
  return JSON.parse(out) as FloodOutcome[];
}

/** Times GET /healthz every `everyMs` until `done()`; each probe's status and milliseconds. */
export async function probeHealth(url: string, everyMs: number, done: () => boolean): Promise<{ status: number; ms: number }[]> {
  const probes: { status: number; ms: number }[] = [];
  while (!done()) {
    const t = performance.now();
    const status = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) }).then(
      async (r) => (await r.arrayBuffer(), r.status),
      () => 0,
    );
    probes.push({ status, ms: performance.now() - t });
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return probes;
}
