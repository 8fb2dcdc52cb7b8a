// Adding and removing policy files while the assistant serves (`policy-assistant add`,
// POST/DELETE /admin/documents).
//
// A file is checked before it is copied: it is parsed in memory exactly as the index will parse it,
// against the documents the corpus already holds, so a file that cannot be read, or whose every
// document is already indexed, is reported and never lands in the corpus. Accepted files are written
// under a dot-name (which ingestion ignores) in the corpus folder, fsynced, then linked to their
// name — link(2) fails instead of overwriting a file that appeared meanwhile — or renamed over it
// when replacing. Readers and a crash (even kill -9) therefore see no file or the whole file.

import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { CorpusError } from './corpus/errors.ts';
import { AppError } from './errors.ts';
import { fsyncPath, publishFile } from './index/atomic.ts';
import { CORPUS_EXTENSIONS, listCorpusFiles, newRegistry, parseConverted, parseFile, type Duplicate, type IdRegistry } from './ingest/ingest.ts';
import { isConvertedFormat } from './corpus/formats/index.ts';
import { loadManifest, type CorpusManifest } from './ingest/manifest.ts';
import type { CorpusStore } from './ingest/store.ts';
import type { ParsedFile } from './parse/types.ts';

export interface IncomingFile {
  /** The name it is to have in the corpus (a path is reduced to its last part). */
  name: string;
  bytes: Uint8Array;
}

export type SkipReason = 'invalid_name' | 'unsupported' | 'unreadable' | 'duplicate' | 'identical' | 'exists';

export interface DocumentRef {
  id: string;
  title: string;
}

export interface FileOutcome {
  file: string;
  status: 'added' | 'skipped';
  /** Why it was skipped (or, for an added file, which of its documents were left out as copies). */
  reason?: string;
  reasonCode?: SkipReason;
  /** The documents it adds (for an added file), as the index will hold them. */
  documents: DocumentRef[];
  /** An added file that replaced a different one of the same name. */
  replaced?: boolean;
}

const TMP_PREFIX = '.adding-';

/**
 * Checks each file against the corpus (and the files before it in the list) and copies the
 * acceptable ones in atomically. Never throws for one bad file: each gets its outcome.
 */
export async function addToCorpus(corpusDir: string, files: IncomingFile[], opts: { replace?: boolean } = {}): Promise<FileOutcome[]> {
  await mkdir(corpusDir, { recursive: true });
  await removeLeftovers(corpusDir);
  const names = files.map((f) => safeName(f.name));
  const replacing = new Set(opts.replace ? names.filter((n): n is string => n !== undefined) : []);
  const existing = await readCorpus(corpusDir, replacing);
  const outcomes: FileOutcome[] = [];
  const taken = new Set<string>();
  for (const [i, f] of files.entries()) {
    const name = names[i];
    const skip = (reasonCode: SkipReason, reason: string): FileOutcome => ({ file: name ?? f.name, status: 'skipped', reasonCode, reason, documents: [] });
    if (!name) {
      outcomes.push(skip('invalid_name', `"${f.name.slice(0, 100)}" is not a usable file name (empty, hidden, or with control characters)`));
      continue;
    }
    const ext = path.extname(name).toLowerCase();
    if (!CORPUS_EXTENSIONS.includes(ext)) {
      outcomes.push(skip('unsupported', `${ext ? `the ${ext} extension is` : 'a file without an extension is'} not supported; use ${CORPUS_EXTENSIONS.join(', ')}`));
      continue;
    }
    if (taken.has(name)) {
      outcomes.push(skip('exists', `${name} was already given earlier in this request`));
      continue;
    }
    const hash = sha256(f.bytes);
    const same = existing.byHash.get(hash);
    if (same) {
      outcomes.push(skip('identical', same === name ? `${name} is already in the corpus, byte for byte` : `identical to ${same}, already in the corpus`));
      continue;
    }
    const present = existing.names.has(name);
    if (present && !opts.replace) {
      outcomes.push(skip('exists', `a different file named ${name} is already in the corpus; pass --replace (?replace=true) to replace it`));
      continue;
    }
    let parsed: ParsedFile;
    // A trial registry: a file that is skipped must not reserve ids or texts for the next one.
    const trial: IdRegistry = { ids: new Set(existing.registry.ids), texts: new Map(existing.registry.texts) };
    try {
      parsed = isConvertedFormat(name) ? await parseConverted(name, f.bytes, existing.manifest[name] ?? {}, trial) : parseFile(name, f.bytes, existing.manifest[name] ?? {}, trial);
    } catch (e) {
      if (!(e instanceof CorpusError)) throw e;
      outcomes.push(skip('unreadable', e.message));
      continue;
    }
    if (parsed.documents.length === 0) {
      outcomes.push(skip('duplicate', duplicateReason(parsed.duplicates)));
      continue;
    }
    await copyIntoCorpus(corpusDir, name, f.bytes, { replace: present });
    existing.registry = trial;
    existing.byHash.set(hash, name);
    taken.add(name);
    outcomes.push({
      file: name,
      status: 'added',
      documents: parsed.documents.map((d) => ({ id: d.id, title: d.title })),
      ...(parsed.duplicates.length ? { reason: `left out as copies: ${duplicateReason(parsed.duplicates)}` } : {}),
      ...(present ? { replaced: true } : {}),
    });
  }
  return outcomes;
}

const duplicateReason = (dups: Duplicate[]): string =>
  dups.map((d) => `《${d.title}》 is the same document as ${d.sameAs} in ${d.sameAsFile}`).join('; ');

/** The corpus as ingestion sees it: names, content hashes, and the ids and texts already taken. */
async function readCorpus(corpusDir: string, leaveOut: Set<string>): Promise<{ names: Set<string>; byHash: Map<string, string>; registry: IdRegistry; manifest: CorpusManifest }> {
  const manifest = await loadManifest(corpusDir);
  const registry = newRegistry();
  const names = new Set<string>();
  const byHash = new Map<string, string>();
  // In ingestion's order, so a text held twice is attributed to the file the index keeps it from.
  for (const name of await listCorpusFiles(corpusDir)) {
    const full = path.join(corpusDir, name);
    if (!(await stat(full)).isFile()) continue;
    names.add(name);
    if (leaveOut.has(name)) continue;
    const bytes = await readFile(full);
    byHash.set(sha256(bytes), name);
    try {
      if (isConvertedFormat(name)) await parseConverted(name, bytes, manifest[name] ?? {}, registry);
      else parseFile(name, bytes, manifest[name] ?? {}, registry);
    } catch (e) {
      // A file the index skips holds no documents to collide with.
      if (!(e instanceof CorpusError)) throw e;
    }
  }
  return { names, byHash, registry, manifest };
}

/** The last path part, if it is a name a corpus file may have; undefined otherwise. */
export function safeName(given: string): string | undefined {
  const name = given.split(/[\\/]/).pop()!.normalize('NFC').trim();
  // eslint-disable-next-line no-control-regex
  if (!name || name.startsWith('.') || /[\u0000-\u001f\u007f]/.test(name) || Buffer.byteLength(name) > 255) return undefined;
  return name;
}

/**
 * Writes `bytes` as corpusDir/name, atomically: a temp file in the same folder, fsynced, then linked
 * (no replace: fails with EEXIST rather than overwrite) or renamed (replace) to the name, and the
 * folder fsynced. `beforeCommit` runs between the write and the link (tests inject a failure there).
 */
export async function copyIntoCorpus(corpusDir: string, name: string, bytes: Uint8Array, opts: { replace?: boolean; beforeCommit?: () => Promise<void> | void } = {}): Promise<void> {
  const published = await publishFile(path.join(corpusDir, name), bytes, { ...opts, tmpPrefix: TMP_PREFIX });
  if (!published) throw new AppError('conflict', `${name} appeared in the corpus while it was being added; nothing was overwritten`);
}

/** Temp files of copies whose process died (kill -9 between write and link). */
async function removeLeftovers(corpusDir: string): Promise<void> {
  for (const name of await readdir(corpusDir)) {
    const pid = Number(/^\.adding-(\d+)-/.exec(name)?.[1]);
    if (pid && !isAlive(pid)) await rm(path.join(corpusDir, name), { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const REMOVED_DIR = '.removed';

export interface Removal {
  id: string;
  title: string;
  file: string;
  /** Where the file was moved: corpus/.removed/… (ingestion ignores dot-folders), so it can be restored. */
  movedTo: string;
}

/**
 * Takes the file holding document `id` out of the corpus: moved (one rename) into corpus/.removed/.
 * 404 for an unknown id; 409 when the file holds other documents too, as they would go with it.
 */
export async function removeFromCorpus(corpusDir: string, corpus: CorpusStore, id: string): Promise<Removal> {
  const doc = corpus.documentById.get(id);
  if (!doc) throw new AppError('not_found', `no document has the id ${id.slice(0, 60)}; GET /api/documents lists them`);
  const file = doc.source.file;
  const others = corpus.documents.filter((d) => d.source.file === file);
  if (others.length > 1)
    throw new AppError('conflict', `《${doc.title}》 is one of ${others.length} documents in ${file}; removing it would remove them all — edit or remove ${file} itself`);
  if (safeName(file) !== file) throw new AppError('invalid_input', `the document's source ${file} is not a plain file name`);
  const bin = path.join(corpusDir, REMOVED_DIR);
  await mkdir(bin, { recursive: true });
  const movedTo = path.join(bin, `${new Date().toISOString().replace(/[:.]/g, '-')}-${file}`);
  try {
    await rename(path.join(corpusDir, file), movedTo);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    // Already gone from the folder (removed by hand): the reindex still drops it.
  }
  await fsyncPath(corpusDir);
  return { id, title: doc.title, file, movedTo: path.relative(corpusDir, movedTo) };
}

/** What one reload changed, per file, compared with the corpus served before it. */
export interface CorpusReport {
  added: { file: string; documents: DocumentRef[] }[];
  changed: { file: string; documents: DocumentRef[] }[];
  removed: { file: string; documents: DocumentRef[] }[];
  /** Files the index could not read, and documents left out as copies of others, with why. */
  skipped: { file: string; reason: string }[];
  errors: { file: string; message: string }[];
  duplicates: Duplicate[];
}

export function corpusReport(before: CorpusStore, after: CorpusStore): CorpusReport {
  const docsOf = (store: CorpusStore, file: string): DocumentRef[] => store.documents.filter((d) => d.source.file === file).map((d) => ({ id: d.id, title: d.title }));
  const had = new Set(before.files.map((f) => f.file));
  const has = new Set(after.files.map((f) => f.file));
  return {
    added: [...has].filter((f) => !had.has(f)).map((file) => ({ file, documents: docsOf(after, file) })),
    changed: [...has].filter((f) => had.has(f) && before.fileCleanText(f) !== after.fileCleanText(f)).map((file) => ({ file, documents: docsOf(after, file) })),
    removed: [...had].filter((f) => !has.has(f)).map((file) => ({ file, documents: docsOf(before, file) })),
    skipped: [...after.errors.map((e) => ({ file: e.file, reason: e.message })), ...after.duplicates.map((d) => ({ file: d.file, reason: d.message }))],
    errors: after.errors,
    duplicates: after.duplicates,
  };
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
