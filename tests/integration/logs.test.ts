// The real `policy-assistant serve` process: JSON logs (pino) on stdout, human status lines on
// stderr, and what users ask kept out of both unless LOG_LEVEL=debug.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.ts';
import { postJson } from './http-helpers.ts';

const CLI = path.join(ROOT, 'dist/cli.js');
const started = new Set<ChildProcess>();

interface Run {
  stdout: string[];
  stderr: string[];
}

/** Serves at the given log level, asks one question and one search carrying marker, then stops. */
async function serveAndAsk(level: string, marker: string): Promise<Run> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: level, POLICY_ASSISTANT_QUIET: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${err}`)), 120_000);
    child.stderr!.on('data', () => {
      const m = /serving on (http:\/\/\S+) /.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then(() => reject(new Error(`server exited:\n${err}`)));
  });
  const chat = await postJson(`${url}/api/chat`, { message: `${marker} 小微企业房租补贴怎么申请？` });
  expect(chat.status).toBe(200);
  const search = await postJson(`${url}/api/search`, { query: `${marker} 房租补贴`, k: 3 });
  expect(search.status).toBe(200);
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  started.delete(child);
  const lines = (s: string) => s.split('\n').filter((l) => l.trim());
  return { stdout: lines(out), stderr: lines(err) };
}

const isJsonLog = (line: string): boolean => {
  try {
    const o = JSON.parse(line) as { level?: unknown; msg?: unknown };
    return typeof o.level === 'number' && typeof o.msg === 'string';
  } catch {
    return false;
  }
};

beforeAll(() => {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT });
});
afterAll(() => {
  for (const c of started) c.kill('SIGKILL');
});

describe('logs of the serve command', () => {
  it('at info: JSON on stdout, status lines on stderr, and no question or query text in either', async () => {
    const marker = `MK${randomUUID().slice(0, 8)}`;
    const run = await serveAndAsk('info', marker);
    expect(run.stdout.length).toBeGreaterThan(2);
    expect(run.stdout.filter((l) => !isJsonLog(l))).toEqual([]);
    const msgs = run.stdout.map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs).toEqual(expect.arrayContaining(['request', 'answered', 'searched', 'shutting down']));
    // stderr carries human lines only
    expect(run.stderr.some((l) => l.startsWith('policy-assistant: serving on http://'))).toBe(true);
    expect(run.stderr.filter(isJsonLog)).toEqual([]);
    expect(run.stdout.join('\n')).not.toContain(marker);
    expect(run.stderr.join('\n')).not.toContain(marker);
  });

  it('at debug: the question and query appear, as a short prefix, in the JSON logs only', async () => {
    const marker = `MK${randomUUID().slice(0, 8)}`;
    const run = await serveAndAsk('debug', marker);
    const withMarker = run.stdout.filter((l) => l.includes(marker)).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(withMarker).toEqual([
      expect.objectContaining({ level: 20, msg: 'question received', question: `${marker} 小微企业房租补贴怎么申请？` }),
      expect.objectContaining({ level: 20, msg: 'query received', query: `${marker} 房租补贴` }),
    ]);
    expect(run.stderr.join('\n')).not.toContain(marker);
  });
});
