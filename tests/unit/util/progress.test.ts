import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProgress, formatDuration, isQuiet, logStatus } from '../../../src/util/progress.ts';

/** Captures what is written to stdout and stderr while fn runs (a non-TTY stderr, as in CI). */
function capture(fn: () => void): { out: string; err: string } {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((err += String(c)), true));
  const tty = process.stderr.isTTY;
  process.stderr.isTTY = false;
  try {
    fn();
  } finally {
    process.stderr.isTTY = tty;
    o.mockRestore();
    e.mockRestore();
  }
  return { out, err };
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

describe('logStatus', () => {
  it('writes one human line to stderr, nothing to stdout (which carries JSON logs and MCP)', () => {
    expect(capture(() => logStatus('index: 3 documents'))).toEqual({ out: '', err: 'index: 3 documents\n' });
  });

  it('is silent when quiet, by option or POLICY_ASSISTANT_QUIET=1', () => {
    expect(capture(() => logStatus('x', { quiet: true }))).toEqual({ out: '', err: '' });
    vi.stubEnv('POLICY_ASSISTANT_QUIET', '1');
    expect(isQuiet()).toBe(true);
    expect(capture(() => logStatus('x'))).toEqual({ out: '', err: '' });
    expect(isQuiet(false)).toBe(false);
  });
});

describe('createProgress', () => {
  it('logs a bar line per 10% at most once a second, and a summary, all on stderr', () => {
    vi.useFakeTimers({ now: 0 });
    const { out, err } = capture(() => {
      const p = createProgress('index: embedding', 10, { quiet: false });
      p.tick(); // 10% but under a second in: no line yet
      vi.setSystemTime(1500);
      p.tick(4); // 50%
      vi.setSystemTime(1600);
      p.tick(); // under a second since the last line
      vi.setSystemTime(3000);
      p.update(10);
      p.done();
      p.done('again'); // a second done prints nothing
    });
    expect(out).toBe('');
    expect(err.split('\n').filter(Boolean)).toEqual([
      'index: embedding [##########..........] 50% 5/10 eta 1.5s',
      'index: embedding [####################] 100% 10/10',
      'index: embedding: done 10 in 3.0s',
    ]);
  });

  it('formats bytes and a custom final message, and prints nothing when quiet', () => {
    vi.useFakeTimers({ now: 0 });
    const { err } = capture(() => {
      const p = createProgress('model: downloading', 2 * 1024 * 1024, { unit: 'bytes', quiet: false });
      vi.setSystemTime(6000);
      p.tick(1024 * 1024);
      p.done('interrupted');
    });
    expect(err.split('\n').filter(Boolean)).toEqual(['model: downloading [##########..........] 50% 1.0MB/2.0MB eta 6.0s', 'model: downloading: interrupted in 6.0s']);
    expect(capture(() => createProgress('x', 1, { quiet: true }).done())).toEqual({ out: '', err: '' });
  });
});

describe('formatDuration', () => {
  it('uses tenths under 10 s, whole seconds under 90 s, then minutes', () => {
    expect(formatDuration(0)).toBe('0.0s');
    expect(formatDuration(9_440)).toBe('9.4s');
    expect(formatDuration(42_400)).toBe('42s');
    expect(formatDuration(125_000)).toBe('2m05s');
  });
});
