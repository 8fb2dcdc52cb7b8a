// Dependency-free progress reporting. Everything goes to stderr: stdout carries the MCP stdio
// protocol and --json output.

import { config } from '../config.ts';

export interface ProgressOptions {
  /** Suppress all output. Defaults to POLICY_ASSISTANT_QUIET=1. */
  quiet?: boolean;
  /** Format counts as bytes (KB/MB) instead of plain numbers. */
  unit?: 'items' | 'bytes';
}

export interface Progress {
  /** Advance by n (default 1). */
  tick(n?: number): void;
  /** Set the absolute number of completed units. */
  update(done: number): void;
  /** Finish: prints a final line with the elapsed time. */
  done(message?: string): void;
}

const BAR_WIDTH = 20;
const TTY_REDRAW_MS = 100;
// Plain-log mode: a line per 10% (but not more than once a second), or every 5 s when slow.
const LOG_MIN_MS = 1000;
const LOG_MAX_MS = 5000;
const LOG_EVERY_FRACTION = 0.1;

export function isQuiet(quiet?: boolean): boolean {
  return quiet ?? config().quiet;
}

/** A single status line on stderr (respects quiet). */
export function logStatus(message: string, opts: { quiet?: boolean } = {}): void {
  if (!isQuiet(opts.quiet)) process.stderr.write(`${message}\n`);
}

export function formatDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 90) return `${Math.round(s)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

function formatCount(n: number, unit: 'items' | 'bytes'): string {
  if (unit === 'items') return String(n);
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)}KB`;
  return `${(n / (1024 * 1024)).toFixed(1)}MB`;
}

export function createProgress(label: string, total: number, opts: ProgressOptions = {}): Progress {
  const quiet = isQuiet(opts.quiet);
  const unit = opts.unit ?? 'items';
  const tty = process.stderr.isTTY === true;
  const start = Date.now();
  let done = 0;
  let finished = false;
  let lastDraw = 0;
  let lastLogTime = start;
  let lastLogFraction = 0;

  const line = (): string => {
    const counts = total > 0 ? `${formatCount(done, unit)}/${formatCount(total, unit)}` : formatCount(done, unit);
    if (total <= 0) return `${label} ${counts}`;
    const fraction = Math.min(1, done / total);
    const filled = Math.round(fraction * BAR_WIDTH);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
    const elapsed = Date.now() - start;
    const eta = done > 0 && done < total ? ` eta ${formatDuration((elapsed / done) * (total - done))}` : '';
    return `${label} ${bar} ${Math.floor(fraction * 100)}% ${counts}${eta}`;
  };

  const report = (): void => {
    if (quiet || finished) return;
    const now = Date.now();
    if (tty) {
      if (now - lastDraw < TTY_REDRAW_MS && done < total) return;
      lastDraw = now;
      process.stderr.write(`\r\x1b[2K${line()}`);
      return;
    }
    const fraction = total > 0 ? done / total : 0;
    const since = now - lastLogTime;
    if ((fraction - lastLogFraction >= LOG_EVERY_FRACTION && since >= LOG_MIN_MS) || since >= LOG_MAX_MS) {
      lastLogFraction = fraction;
      lastLogTime = now;
      process.stderr.write(`${line()}\n`);
    }
  };

  return {
    tick(n = 1) {
      done += n;
      report();
    },
    update(value) {
      done = value;
      report();
    },
    done(message) {
      if (finished) return;
      finished = true;
      if (quiet) return;
      const summary = `${label}: ${message ?? `done ${formatCount(done, unit)}`} in ${formatDuration(Date.now() - start)}`;
      process.stderr.write(tty ? `\r\x1b[2K${summary}\n` : `${summary}\n`);
    },
  };
}
