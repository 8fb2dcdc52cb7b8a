// Real `policy-assistant` processes (dist/cli.js) over a temp corpus and index, for the index
// writer and repair tests: spawn, wait for a line, stop.

import { spawn, type ChildProcess } from 'node:child_process';
import { ROOT } from '../helpers.ts';

export const CLI = `${ROOT}/dist/cli.js`;
export const STACK_FRAME = /^\s+at /m;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Cli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<Exit>;
}

export const started = new Set<ChildProcess>();

export function cli(args: string[], dirs: { corpusDir: string; indexDir: string }, env: Record<string, string> = {}): Cli {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, POLICY_ASSISTANT_CORPUS_DIR: dirs.corpusDir, POLICY_ASSISTANT_INDEX_DIR: dirs.indexDir, POLICY_ASSISTANT_QUIET: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<Exit>((resolve) =>
    child.on('exit', (code, signal) => {
      started.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Resolves when `pattern` matches the output, or rejects when the process exits first. */
export function waitFor(p: Cli, stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs = 120_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern} in ${stream}:\n${p[stream]()}`)), timeoutMs);
    const check = () => {
      const m = p[stream]().match(pattern);
      if (!m) return;
      clearTimeout(timer);
      p.child[stream]!.off('data', check);
      resolve(m);
    };
    p.child[stream]!.on('data', check);
    check();
    void p.exited.then((e) => {
      clearTimeout(timer);
      reject(new Error(`exited (${e.code ?? e.signal}) before ${pattern}:\n${p.stderr()}`));
    });
  });
}

/** `serve` on a free port; resolves once it listens. */
export async function serve(dirs: { corpusDir: string; indexDir: string }, env: Record<string, string> = {}): Promise<Cli & { url: string }> {
  const p = cli(['serve', '--port', '0'], dirs, { POLICY_ASSISTANT_RATE_LIMIT_CHAT: 'off', POLICY_ASSISTANT_RATE_LIMIT_SEARCH: 'off', POLICY_ASSISTANT_RATE_LIMIT_API: 'off', ...env });
  const [, url] = await waitFor(p, 'stderr', /serving on (http:\/\/\S+) /);
  return { ...p, url: url! };
}

export async function stop(p: Cli): Promise<Exit> {
  p.child.kill('SIGTERM');
  return p.exited;
}

export const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
