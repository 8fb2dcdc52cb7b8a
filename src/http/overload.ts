import type { RequestHandler, Response } from 'express';
import { AbortedError, abortError, isAborted } from '../util/abort.ts';
import { config, type Config } from '../config.ts';
import { AppError, ConfigError } from '../errors.ts';

/**
 * Fairness under overload: work for a client that left is cancelled, answer and search
 * computations are bounded (a few running, a few waiting, the rest refused with 503 and
 * Retry-After), and slow or greedy connections are cut (the server.ts side of it).
 */
/** Bounds on work and connections; read from POLICY_ASSISTANT_MAX_IN_FLIGHT and friends (src/config.ts). */
export type OverloadSettings = Config['overload'];

/**
 * Settings given, else from the configuration. The defaults (config.ts) are sized for 2 cores: each
 * computation spends ~10–30 ms on the embedding worker and a few ms on the main thread, so 8
 * running keep both busy while queueing stays short; 32 more wait at most ~1 s.
 */
export function overloadSettings(given: Partial<OverloadSettings> = {}, base: OverloadSettings = config().overload): OverloadSettings {
  const s = { ...base, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) };
  // node refuses a headers timeout longer than the request timeout.
  if (s.headersTimeoutMs > s.requestTimeoutMs)
    throw new ConfigError(`POLICY_ASSISTANT_HEADERS_TIMEOUT_MS (${s.headersTimeoutMs}) must not exceed POLICY_ASSISTANT_REQUEST_TIMEOUT_MS (${s.requestTimeoutMs})`);
  return s;
}

/** Seconds a refused client is told to wait: the queue drains in well under that. */
export const RETRY_AFTER_SECONDS = 2;

/** Both bounds are full: 503 `unavailable` with Retry-After. */
export class OverloadedError extends AppError {
  readonly retryAfterSeconds = RETRY_AFTER_SECONDS;
  constructor(message: string) {
    super('unavailable', message);
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

  /** Throws OverloadedError (and counts it) when both the running and the waiting places are full. */
  refuseIfFull(): void {
    const { maxInFlight, maxQueued } = this.settings;
    if (this.running < maxInFlight || this.waiting.length < maxQueued) return;
    this.counts.rejected++;
    throw new OverloadedError(`the server is busy (${maxInFlight} questions being answered, ${maxQueued} waiting); try again in ${RETRY_AFTER_SECONDS} s`);
  }

  /** Claims a place, running or waiting; throws OverloadedError when both are full. */
  admit(signal?: AbortSignal): Admitted {
    this.refuseIfFull();
    let ready: Promise<void>;
    if (this.running < this.settings.maxInFlight) {
      this.running++;
      ready = Promise.resolve();
    } else ready = this.wait(signal);
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

/** `step` (WorkGate.admit or refuseIfFull), with the 503's Retry-After header set on `res` when refused. */
function withRetryAfter<T>(res: Response, step: () => T): T {
  try {
    return step();
  } catch (err) {
    if (err instanceof OverloadedError) res.setHeader('Retry-After', String(err.retryAfterSeconds));
    throw err;
  }
}

/** WorkGate.admit, with the 503's Retry-After header set on `res` when refused. */
export function admitOrRefuse(gate: WorkGate, res: Response, signal: AbortSignal | undefined): Admitted {
  return withRetryAfter(res, () => gate.admit(signal));
}

/**
 * Refuses a bounded route's request while the gate is full, before its body is read and parsed: a
 * flood of refusals then costs the event loop as little as it can. A request let through is
 * admitted (or refused) by its route as before.
 */
export function refuseWhenFull(gate: WorkGate): RequestHandler {
  return (_req, res, next) => {
    withRetryAfter(res, () => gate.refuseIfFull());
    next();
  };
}
