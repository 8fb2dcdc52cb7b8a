import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { openApp } from '../app.ts';
import { config } from '../config.ts';
import { addToCorpus, type FileOutcome, type IncomingFile } from '../corpus-admin.ts';
import { AppError, UsageError } from '../errors.ts';
import { print, printJson } from './output.ts';

/**
 * `policy-assistant add <file|folder>… [--replace] [--json]`: checks each file, copies the good ones
 * into the corpus atomically, then updates the index as `index` does (a running server sees the new
 * generation through embeddings/CURRENT and swaps it in). Every file is reported, added or skipped
 * with why; nothing added is an error (exit 2) after the report.
 */
export async function addCommand(targets: string[], opts: { json?: boolean; replace?: boolean }): Promise<number> {
  if (!targets.length) throw new UsageError('add needs a file or a folder, e.g. policy-assistant add 新政策.docx');
  const { incoming, unreadable } = await collect(targets);
  const outcomes = [...unreadable, ...(incoming.length ? await addToCorpus(config().corpusDir, incoming, { replace: opts.replace }) : [])];
  const added = outcomes.filter((o) => o.status === 'added');
  const app = added.length ? await openApp({ quiet: opts.json || undefined, llm: null }) : undefined;
  const index = app && { dir: app.index.dir, ...app.index.stats, documents: app.corpus.documents.length, chunks: app.corpus.chunks.length };
  if (app)
    // The index's ids are authoritative: ingest order may rename an id that collides with another.
    for (const o of added) o.documents = app.corpus.documents.filter((d) => d.source.file === o.file).map((d) => ({ id: d.id, title: d.title }));
  if (opts.json) printJson({ files: outcomes, index });
  else {
    for (const o of outcomes) {
      if (o.status === 'added') {
        print(`added ${o.file}${o.replaced ? ' (replaced)' : ''}: ${o.documents.map((d) => `《${d.title}》 ${d.id}`).join('; ')}`);
        if (o.reason) print(`  note: ${o.reason}`);
      } else print(`skipped ${o.file}: ${o.reason}`);
    }
    if (index)
      print(`index ${index.mode}: ${index.chunks} chunks of ${index.documents} documents in ${index.dir} (${index.embedded} embedded, ${index.reused} reused, ${(index.ms / 1000).toFixed(1)} s)`);
  }
  if (!added.length) throw new AppError('corpus_file', `nothing was added (${outcomes.length} file${outcomes.length === 1 ? '' : 's'} skipped)`);
  return 0;
}

/** The files named, and each file directly inside a named folder (dot-files aside), in name order. */
async function collect(targets: string[]): Promise<{ incoming: IncomingFile[]; unreadable: FileOutcome[] }> {
  const incoming: IncomingFile[] = [];
  const unreadable: FileOutcome[] = [];
  const fail = (file: string, reason: string) => unreadable.push({ file, status: 'skipped', reasonCode: 'unreadable', reason, documents: [] });
  const read = async (file: string) => {
    try {
      incoming.push({ name: path.basename(file), bytes: await readFile(file) });
    } catch (e) {
      fail(file, `cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  for (const target of targets) {
    const info = await stat(target).catch((e: NodeJS.ErrnoException) => e);
    if (info instanceof Error) fail(target, info.code === 'ENOENT' ? 'no such file or folder' : `cannot be read: ${info.code ?? info.message}`);
    else if (info.isDirectory()) {
      const entries = (await readdir(target, { withFileTypes: true })).filter((e) => !e.name.startsWith('.')).sort((a, b) => (a.name < b.name ? -1 : 1));
      for (const e of entries) {
        if (e.isFile()) await read(path.join(target, e.name));
        else fail(path.join(target, e.name), 'not a file (folders are not read recursively)');
      }
    } else await read(target);
  }
  return { incoming, unreadable };
}
