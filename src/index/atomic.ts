// Crash-safe writes for the index directory.
//
// Single files: write a temp file in the same directory, fsync it, rename it over the target, fsync
// the directory. rename(2) within one filesystem is atomic, so readers see the old or the new file.
//
// The index is several files that must change together, so it is versioned by generation:
//
//   embeddings/
//     CURRENT                 one line naming the active generation, replaced by an atomic write
//     gen-<pid>-<ts>/         a complete index: manifest.json, store.json, vectors.hnsw, vectors.ids.json
//     .tmp-<pid>-<ts>/        a generation being written (never read)
//
// A build writes and fsyncs every file into a fresh .tmp dir, renames it to gen-…, fsyncs the root,
// then atomically replaces CURRENT. Only after that are other generations deleted. A kill -9 at any
// point therefore leaves CURRENT naming a complete generation: before the CURRENT rename the old one
// (untouched), after it the new one (already durable). Leftovers (.tmp dirs, a renamed generation
// CURRENT never pointed at) belong to a dead pid and are removed by the next open. Directories of a
// live process are left alone: another process may be about to commit them.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, open, readdir, readFile, rename, rm, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { IndexCorruptError } from './errors.ts';

export const CURRENT_FILE = 'CURRENT';
const TMP_PREFIX = '.tmp-';
const GEN_PREFIX = 'gen-';

export async function fsyncPath(p: string): Promise<void> {
  const fh = await open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes a file and fsyncs it (for files inside a directory that is not visible yet). */
export async function writeFileDurable(file: string, data: string | Uint8Array): Promise<void> {
  const fh = await open(file, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes `file` through a temp file beside it (named `tmpPrefix…`, so a dead writer's leftovers can
 * be found), fsynced, then published: renamed over `file` with `replace`, else linked to it, which
 * fails rather than overwrite — false then, when `file` already exists. The directory is fsynced.
 * `beforeCommit` runs between the write and the publish (tests inject a failure there).
 */
export async function publishFile(
  file: string,
  data: string | Uint8Array,
  opts: { replace?: boolean; tmpPrefix?: string; mode?: number; beforeCommit?: () => Promise<void> | void } = {},
): Promise<boolean> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `${opts.tmpPrefix ?? TMP_PREFIX}${process.pid}-${uniqueSuffix()}-${path.basename(file)}`);
  let published = true;
  try {
    const fh = await open(tmp, 'wx', opts.mode);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await opts.beforeCommit?.();
    if (opts.replace) await rename(tmp, file);
    else
      await link(tmp, file).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
        published = false;
      });
  } finally {
    await rm(tmp, { force: true });
  }
  await fsyncPath(dir);
  return published;
}

/** Atomically replaces `file`: readers (and a crash) see either the old content or the new. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `${TMP_PREFIX}${process.pid}-${uniqueSuffix()}-${path.basename(file)}`);
  try {
    await writeFileDurable(tmp, data);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncPath(dir);
}

const uniqueSuffix = (): string => `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

const ownerPid = (name: string): number | undefined => {
  const m = /^(?:\.tmp-|gen-)(\d+)-/.exec(name);
  return m ? Number(m[1]) : undefined;
};

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process stays visible as a zombie until reaped; it will never write again.
  try {
    return !/^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** The active generation's directory, or undefined when none was ever committed. */
export async function currentGeneration(root: string): Promise<string | undefined> {
  let name: string;
  try {
    name = (await readFile(path.join(root, CURRENT_FILE), 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  // Never follow a pointer outside the index root.
  if (!/^gen-[\w-]+$/.test(name)) throw new IndexCorruptError(root, `${CURRENT_FILE} does not name a generation`);
  return path.join(root, name);
}

/** Creates an empty staging directory for a new generation. */
export async function beginGeneration(root: string): Promise<string> {
  await mkdir(root, { recursive: true });
  const dir = path.join(root, `${TMP_PREFIX}${process.pid}-${uniqueSuffix()}`);
  await mkdir(dir);
  return dir;
}

// Commits in this process are serialised so the cleanup of one never removes another's
// freshly renamed generation before its CURRENT write.
let commitQueue: Promise<unknown> = Promise.resolve();

/** Makes a fully written staging dir the active generation; returns its final path. */
export function commitGeneration(root: string, staging: string): Promise<string> {
  const task = commitQueue.then(async () => {
    await fsyncPath(staging);
    const name = `${GEN_PREFIX}${process.pid}-${uniqueSuffix()}`;
    const gen = path.join(root, name);
    await rename(staging, gen);
    await fsyncPath(root);
    await writeFileAtomic(path.join(root, CURRENT_FILE), `${name}\n`);
    await removeStale(root);
    return gen;
  });
  commitQueue = task.catch(() => undefined);
  return task;
}

/** Discards a staging dir after a failed build. */
export async function abortGeneration(staging: string): Promise<void> {
  await rm(staging, { recursive: true, force: true });
}

/**
 * Removes staging dirs and superseded generations left by dead processes (or by this one, whose
 * commits are serialised). Returns the names removed.
 */
export async function removeStale(root: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  // Without a readable CURRENT any generation might be the active one: keep them all.
  const current = await currentGeneration(root).then(
    (dir) => (dir ? path.basename(dir) : ''),
    () => null,
  );
  const removed: string[] = [];
  for (const name of names) {
    const pid = ownerPid(name);
    if (pid === undefined || name === current || (current === null && name.startsWith(GEN_PREFIX))) continue;
    const ours = pid === process.pid;
    // Our own staging dirs may belong to a build still running in this process.
    if (ours && name.startsWith(TMP_PREFIX)) continue;
    if (!ours && isAlive(pid)) continue;
    await rm(path.join(root, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
