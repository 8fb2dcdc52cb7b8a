import type { Response } from 'express';
import { AbortedError, abortError, isAborted } from '../util/abort.ts';
import { HttpError } from './errors.ts';

/**
 * Fairness under overload: work for a client that left is cancelled, answer and search
 * computations are bounded (a few running, a few waiting, the rest refused with 503 and
 * Retry-After), and slow or greedy connections are cut (the server.ts side of it).
 */
export interface OverloadSettings {
  /** Answer/search computations running at once. */
  maxInFlight: number;
  /** Computations waiting for a slot; past it, 503. 0: none wait. */
  maxQueued: number;
  /** Cancel a computation when its client disconnects (off only to measure what it saves). */
  cancelOnDisconnect: boolean;
  /** A request's headers must arrive within this (node's server.headersTimeout). */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this (node's server.requestTimeout). */
  requestTimeoutMs: number;
  /** Open connections at once (server.maxConnections). */
  maxConnections: number;
  /** Open connections from one address; 0: no per-address cap. Connections from a trusted proxy are exempt. */
  maxConnectionsPerClient: number;
}

// Sized for 2 cores: each computation spends ~10–30 ms on the embedding worker and a few ms on the
// main thread, so 8 running keep both busy while queueing stays short; 32 more wait at most ~1 s.
export const DEFAULT_OVERLOAD: OverloadSettings = {
  maxInFlight: 8,
  maxQueued: 32,
  cancelOnDisconnect: true,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 20_000,
  maxConnections: 1000,
  maxConnectionsPerClient: 64,
};

export const OVERLOAD_ENV: Record<keyof OverloadSettings, string> = {
  maxInFlight: 'POLICY_ASSISTANT_MAX_IN_FLIGHT',
  maxQueued: 'POLICY_ASSISTANT_MAX_QUEUED',
  cancelOnDisconnect: 'POLICY_ASSISTANT_CANCEL_ON_DISCONNECT',
  headersTimeoutMs: 'POLICY_ASSISTANT_HEADERS_TIMEOUT_MS',
  requestTimeoutMs: 'POLICY_ASSISTANT_REQUEST_TIMEOUT_MS',
  maxConnections: 'POLICY_ASSISTANT_MAX_CONNECTIONS',
  maxConnectionsPerClient: 'POLICY_ASSISTANT_MAX_CONNECTIONS_PER_CLIENT',
};

/** Settings given, else from the environment (OVERLOAD_ENV), else the defaults; a bad value throws naming its variable. */
export function overloadSettings(given: Partial<OverloadSettings> = {}, env: NodeJS.ProcessEnv = process.env): OverloadSettings {
  const read = <K extends keyof OverloadSettings>(key: K, min: number): OverloadSettings[K] => {
    if (given[key] !== undefined) return given[key];
    const raw = env[OVERLOAD_ENV[key]]?.trim().toLowerCase();
    const fallback = DEFAULT_OVERLOAD[key];
    if (!raw) return fallback;
    if (typeof fallback === 'boolean') {
      if (['1', 'true', 'on', 'yes'].includes(raw)) return true as OverloadSettings[K];
      if (['0', 'false', 'off', 'no'].includes(raw)) return false as OverloadSettings[K];
      throw new Error(`${OVERLOAD_ENV[key]} must be on or off, not "${raw}"`);
    }
    const n = raw === 'off' ? 0 : Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`${OVERLOAD_ENV[key]} must be a whole number ≥ ${min}${min === 0 ? ' (or off)' : ''}, not "${raw}"`);
    return n as OverloadSettings[K];
  };
  const s: OverloadSettings = {
    maxInFlight: read('maxInFlight', 1),
    maxQueued: read('maxQueued', 0),
    cancelOnDisconnect: read('cancelOnDisconnect', 0),
    headersTimeoutMs: read('headersTimeoutMs', 100),
    requestTimeoutMs: read('requestTimeoutMs', 100),
    maxConnections: read('maxConnections', 1),
    maxConnectionsPerClient: read('maxConnectionsPerClient', 0),
  };
  // node refuses a headers timeout longer than the request timeout.
  if (s.headersTimeoutMs > s.requestTimeoutMs)
    throw new Error(`${OVERLOAD_ENV.headersTimeoutMs} (${s.headersTimeoutMs}) must not exceed ${OVERLOAD_ENV.requestTimeoutMs} (${s.requestTimeoutMs})`);
  return s;
}

/** Seconds a refused client is told to wait: the queue drains in well under that. */
export const RETRY_AFTER_SECONDS = 2;

export class OverloadedError extends HttpError {
  readonly retryAfterSeconds = RETRY_AFTER_SECONDS;
  constructor(message: string) {
    super(503, 'overloaded', message);
    this.name = 'OverloadedError';
  }
}

export interface WorkStats {
  maxInFlight: number;
  maxQueued: number;
  inFlight: number;
  queued: number;
  /** Computations that ran to the end (answered or failed). */
  completed: number;
  /** Computations stopped (or dropped from the queue) because their client left. */
  aborted: number;
  /** Requests refused with 503. */
  rejected: number;
}

/** A place in the gate: run() waits for a slot, runs the work and frees the slot. */
export interface Admitted {
  run<T>(work: () => Promise<T>): Promise<T>;
}

interface Waiter {
  grant: () => void;
}

/**
 * Bounds answer and search computations: `maxInFlight` run, `maxQueued` wait in FIFO order, and
 * admit() refuses the rest at once. A hand-written counter rather than p-queue: the installed
 * p-queue (6, via langchain) takes no AbortSignal, and later ones keep an aborted task in the queue
 * until its turn; here a waiter whose client left leaves the queue at once, and admission is
 * decided synchronously, before an SSE stream opens.
 */
export class WorkGate {
  private running = 0;
  private readonly waiting: Waiter[] = [];
  private readonly counts = { completed: 0, aborted: 0, rejected: 0 };

  constructor(readonly settings: Pick<OverloadSettings, 'maxInFlight' | 'maxQueued'>) {}

  /** Claims a place, running or waiting; throws OverloadedError when both are full. */
  admit(signal?: AbortSignal): Admitted {
    const { maxInFlight, maxQueued } = this.settings;
    let ready: Promise<void>;
    if (this.running < maxInFlight) {
      this.running++;
      ready = Promise.resolve();
    } else if (this.waiting.length < maxQueued) {
      ready = this.wait(signal);
    } else {
      this.counts.rejected++;
      throw new OverloadedError(`the server is busy (${maxInFlight} questions being answered, ${maxQueued} waiting); try again in ${RETRY_AFTER_SECONDS} s`);
    }
    // A waiter dropped before run() is called must not surface as an unhandled rejection.
    ready.catch(() => undefined);
    let used = false;
    return {
      run: async <T>(work: () => Promise<T>): Promise<T> => {
        if (used) throw new Error('Admitted.run() called twice');
        used = true;
        try {
          await ready;
        } catch (err) {
          this.counts.aborted++;
          throw err;
        }
        try {
          const out = await work();
          this.counts.completed++;
          return out;
        } catch (err) {
          if (isAborted(err) || signal?.aborted) this.counts.aborted++;
          else this.counts.completed++;
          throw err;
        } finally {
          this.release();
        }
      },
    };
  }

  stats(): WorkStats {
    const { maxInFlight, maxQueued } = this.settings;
    return { maxInFlight, maxQueued, inFlight: this.running, queued: this.waiting.length, ...this.counts };
  }

  private wait(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(abortError(signal!));
      };
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** The slot passes straight to the next waiter, so the count of running work never dips. */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next.grant();
    else this.running--;
  }
}

/**
 * A signal that aborts when the client disconnects before its response was sent in full (the
 * response closes unfinished); none when cancellation is turned off.
 */
export function clientSignal(res: Response, enabled: boolean): AbortSignal | undefined {
  if (!enabled) return undefined;
  const controller = new AbortController();
  const gone = () => controller.abort(new AbortedError('the client disconnected before its response was sent'));
  // A client may leave while its request still waits in the middleware (body parsing on a busy
  // server): the close has then already happened, and no listener would ever hear it.
  if (res.destroyed || res.socket?.destroyed !== false) gone();
  else
    res.once('close', () => {
      if (!res.writableFinished) gone();
    });
  return controller.signal;
}

/** What the bounded routes need: the gate and whether to cancel on disconnect. */
export interface WorkControl {
  gate: WorkGate;
  cancelOnDisconnect: boolean;
}

/** WorkGate.admit, with the 503's Retry-After header set on `res` when refused. */
export function admitOrRefuse(gate: WorkGate, res: Response, signal: AbortSignal | undefined): Admitted {
  try {
    return gate.admit(signal);
  } catch (err) {
    if (err instanceof OverloadedError) res.setHeader('Retry-After', String(err.retryAfterSeconds));
    throw err;
  }
}
