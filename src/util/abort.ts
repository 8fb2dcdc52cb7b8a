/**
 * Cancellation shared by every stage: work for a caller who has gone (an HTTP client that
 * disconnected) is stopped between stages with this one error type, which edges recognise and
 * drop quietly instead of logging a failure.
 */
import { AppError } from '../errors.ts';

export class AbortedError extends AppError {
  constructor(message = 'the work was cancelled: its caller has gone', options?: { cause?: unknown }) {
    super('cancelled', message, options);
  }
}

/** The signal's reason as an AbortedError (a timeout's DOMException, say, is wrapped). */
export function abortError(signal: AbortSignal): AbortedError {
  const reason: unknown = signal.reason;
  return reason instanceof AbortedError ? reason : new AbortedError(undefined, { cause: reason });
}

/** Throws an AbortedError when `signal` has fired; a no-op without one. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

export function isAborted(err: unknown): err is AbortedError {
  return err instanceof AbortedError;
}

/**
 * Between two stages of a computation: yields to the event loop (so a client's disconnect, and
 * other requests, are seen before the next synchronous stage), then throws if `signal` fired.
 */
export async function betweenStages(signal: AbortSignal | undefined): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  throwIfAborted(signal);
}
