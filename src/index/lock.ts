// The index writer lock (embeddings/write.lock), after Lucene's write.lock: exactly one process
// builds or repairs an index folder at a time; every other process only loads what it commits.
//
// The file is created with O_EXCL ('wx'), so of two processes trying at once exactly one wins. It
// holds {pid, hostname, startedAt, token}; the holder touches its mtime every HEARTBEAT_MS. A lock
// is stale when its holder is gone: on this host, its pid no longer exists (a SIGKILLed build); on
// any host, its heartbeat is older than staleMs (a frozen or remote holder, or a reused pid). A
// stale lock is taken over under a second O_EXCL file (write.lock.takeover), so two processes that
// both saw it stale cannot both remove it and then remove each other's fresh lock.

import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rm, stat, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { config } from '../config.ts';
import { isAlive } from './atomic.ts';
import { IndexError } from './errors.ts';

export const LOCK_FILE = 'write.lock';
const TAKEOVER_FILE = 'write.lock.takeover';
const HEARTBEAT_MS = 2_000;
export const DEFAULT_STALE_MS = 30_000;

export interface LockOwner {
  pid: number;
  hostname: string;
  /** When the holder took the lock (ISO). */
  startedAt: string;
  /** What the holder is doing: "build", "repair". */
  purpose: string;
  token: string;
}

export type IndexRole = 'writer' | 'reader';

export interface IndexWriterConfig {
  role: IndexRole;
  /** A lock whose heartbeat is older than this is stale even when its pid exists. */
  staleMs: number;
}

/** The role and lock bound from the configuration (POLICY_ASSISTANT_INDEX_ROLE, _INDEX_LOCK_STALE_SECONDS). */
export function indexWriterConfig(): IndexWriterConfig {
  const { role, lockStaleMs } = config().index;
  return { role, staleMs: lockStaleMs };
}

/** The index is being written by another live process. */
export class IndexLockedError extends IndexError {
  constructor(
    readonly indexDir: string,
    readonly owner: LockOwner | undefined,
  ) {
    super(`The index in ${indexDir} is being written by ${owner ? `pid ${owner.pid} on ${owner.hostname} (${owner.purpose} since ${owner.startedAt})` : 'another process'}; it loads what that writer commits.`, {
      code: 'unavailable',
    });
  }
}

export interface HeldLock {
  readonly owner: LockOwner;
  /** Removes the lock if it is still ours. */
  release(): Promise<void>;
}

async function readOwner(file: string): Promise<{ owner?: LockOwner; mtimeMs: number } | undefined> {
  try {
    const [text, st] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    let owner: LockOwner | undefined;
    try {
      owner = JSON.parse(text) as LockOwner;
    } catch {
      // Half-written by a holder killed between open and write: judged by its mtime alone.
    }
    return { owner, mtimeMs: st.mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function isStale(found: { owner?: LockOwner; mtimeMs: number }, staleMs: number): boolean {
  if (Date.now() - found.mtimeMs > staleMs) return true;
  const { owner } = found;
  return owner !== undefined && typeof owner.pid === 'number' && owner.hostname === hostname() && !isAlive(owner.pid);
}

async function createExclusive(file: string, data: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return true;
}

/** Who holds the lock now (undefined when free or stale). */
export async function lockHolder(indexDir: string, staleMs = DEFAULT_STALE_MS): Promise<LockOwner | undefined> {
  const found = await readOwner(path.join(indexDir, LOCK_FILE));
  return found && !isStale(found, staleMs) ? found.owner : undefined;
}

/**
 * Takes the writer lock, or throws IndexLockedError when a live process holds it. A stale lock is
 * taken over; onTakeover hears about it (to log whose it was).
 */
export async function acquireWriterLock(
  indexDir: string,
  opts: { purpose: string; staleMs?: number; onTakeover?: (previous: LockOwner | undefined) => void },
): Promise<HeldLock> {
  const staleMs = opts.staleMs ?? DEFAULT_STALE_MS;
  const file = path.join(indexDir, LOCK_FILE);
  const owner: LockOwner = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString(), purpose: opts.purpose, token: randomBytes(8).toString('hex') };
  const data = JSON.stringify(owner);
  await mkdir(indexDir, { recursive: true });
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await createExclusive(file, data)) return hold(file, owner);
    const found = await readOwner(file);
    if (!found) continue;
    if (!isStale(found, staleMs)) throw new IndexLockedError(indexDir, found.owner);
    // Stale: take it over, one process at a time.
    const takeover = path.join(indexDir, TAKEOVER_FILE);
    if (!(await createExclusive(takeover, data))) {
      const other = await readOwner(takeover);
      // A takeover left by a process killed in these few lines: clear it and retry.
      if (other && Date.now() - other.mtimeMs > staleMs) await rm(takeover, { force: true });
      else throw new IndexLockedError(indexDir, other?.owner);
      continue;
    }
    try {
      const again = await readOwner(file);
      // Still the same stale lock (not one a faster process just created)?
      if (again && again.mtimeMs === found.mtimeMs && again.owner?.token === found.owner?.token) {
        await rm(file, { force: true });
        opts.onTakeover?.(found.owner);
      }
    } finally {
      await rm(takeover, { force: true });
    }
  }
  throw new IndexLockedError(indexDir, (await readOwner(file))?.owner);
}

function hold(file: string, owner: LockOwner): HeldLock {
  let released = false;
  const beat = setInterval(() => {
    const now = new Date();
    void utimes(file, now, now).catch(() => undefined);
  }, HEARTBEAT_MS);
  beat.unref();
  return {
    owner,
    release: async () => {
      if (released) return;
      released = true;
      clearInterval(beat);
      const found = await readOwner(file).catch(() => undefined);
      if (found?.owner?.token === owner.token) await rm(file, { force: true });
    },
  };
}

/** Runs fn holding the writer lock; throws IndexLockedError at once when another process holds it. */
export async function withWriterLock<T>(indexDir: string, opts: Parameters<typeof acquireWriterLock>[1], fn: () => Promise<T>): Promise<T> {
  const lock = await acquireWriterLock(indexDir, opts);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
