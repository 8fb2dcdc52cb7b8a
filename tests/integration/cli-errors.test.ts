// Issue 13: the CLI and the server exit with one clear line on stderr and a non-zero status for
// every catalogue error — a bad POLICY_ASSISTANT_* value, an unknown command, a missing argument, a
// bad port, a bad --k — before loading the model or touching the index.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.ts';

const CLI = path.join(ROOT, 'dist/cli.js');
// An empty index folder: any case that got as far as opening the index would start a build and time out.
const indexDir = mkdtempSync(path.join(tmpdir(), 'cli-errors-'));

beforeAll(() => {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
});
afterAll(() => rmSync(indexDir, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, POLICY_ASSISTANT_INDEX_DIR: indexDir, ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe.each([
  ['a bad rate limit', ['documents'], { POLICY_ASSISTANT_RATE_LIMIT_CHAT: 'lots' }, 2, /POLICY_ASSISTANT_RATE_LIMIT_CHAT must be "N\/window"/],
  ['a bad LLM timeout', ['serve'], { POLICY_ASSISTANT_LLM_BASE_URL: 'http://127.0.0.1:9/v1', POLICY_ASSISTANT_LLM_MODEL: 'm', POLICY_ASSISTANT_LLM_TIMEOUT_MS: 'soon' }, 2, /POLICY_ASSISTANT_LLM_TIMEOUT_MS must be a whole number/],
  ['a bad log level', ['serve'], { LOG_LEVEL: 'loud' }, 2, /LOG_LEVEL must be fatal, error/],
  ['a bad PORT', ['serve'], { PORT: 'eighty' }, 2, /PORT must be a port number/],
  ['a bad flag', ['documents'], { POLICY_ASSISTANT_QUIET: 'yes' }, 2, /POLICY_ASSISTANT_QUIET must be 1 or 0/],
  ['an unknown command', ['frobnicate'], {}, 2, /unknown command "frobnicate"; run policy-assistant --help/],
  ['an unknown option', ['search', '外资银行', '--bogus'], {}, 2, /Unknown option '--bogus'.*--help/],
  ['a missing question', ['search'], {}, 2, /search needs a question/],
  ['a missing question to ask', ['ask'], {}, 2, /ask needs a question/],
  ['a missing clause reference', ['clause'], {}, 2, /clause needs an id or a reference/],
  ['a port out of range', ['serve', '--port', '70000'], {}, 2, /--port must be a number from 0 to 65535/],
  ['a port that is not a number', ['serve', '--port', 'abc'], {}, 2, /--port must be a number from 0 to 65535/],
  ['k of zero', ['search', '外资银行', '--k', '0'], {}, 2, /k must be a whole number from 1 to 50/],
  ['k that is not a number', ['search', '外资银行', '--k', 'ten'], {}, 2, /k must be a whole number from 1 to 50/],
  ['a malformed conversation id', ['ask', '外资银行', '--conversation', '../x'], {}, 2, /conversationId is at most 128/],
])('%s', (_what, args, env, status, message) => {
  it('exits non-zero with one clear line and no stack trace', () => {
    const r = run(args, env);
    expect(r.status).toBe(status);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^policy-assistant: /);
    expect(lines[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stdout).toBe('');
  });
});

describe('a reader that stops early (`| head`)', () => {
  it('ends the command quietly, with status 0 and no EPIPE stack trace', async () => {
    // The reader leaves before the first line: every write the command makes meets a closed pipe.
    const child = spawn(process.execPath, [CLI, 'documents', '--json'], { cwd: ROOT, env: { ...process.env, POLICY_ASSISTANT_INDEX_DIR: indexDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(stderr).not.toMatch(/EPIPE|^\s+at /m);
    expect(code).toBe(0);
  });
});
