// The index manifest (manifest.json of a generation): what the index was built from, so an open
// can tell whether it is still valid, what changed, and whether its own files are intact.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Clause, PolicyDocument } from '../parse/types.ts';
import { IndexCorruptError } from './errors.ts';

export const MANIFEST_FILE = 'manifest.json';
/** Bump when the layout or meaning of any index file changes; an old index is then rebuilt. */
export const INDEX_FORMAT_VERSION = 3;
/** Format 2 lacked vectors.f32, lexical.json and the manifest's own checksum; its parts are salvaged. */
export const SALVAGEABLE_FORMAT_VERSIONS = [2];

export interface ModelInfo {
  id: string;
  sha256: string;
  dims: number;
}

export interface IndexManifest {
  formatVersion: number;
  model: ModelInfo;
  chunkerVersion: number;
  builtAt: string;
  /** Corpus files (including the corpus manifest.json) by name, with the sha256 of their bytes. */
  files: Record<string, { sha256: string }>;
  documents: Record<string, { file: string; contentHash: string; chunkIds: string[] }>;
  /** The other files of this generation, so truncation or damage is caught before use. */
  artifacts: Record<string, { bytes: number; sha256: string }>;
  /** sha256 of this manifest serialised without this field, so a flipped byte here is caught too. */
  checksum?: string;
}

const manifestChecksum = (m: IndexManifest): string => sha256(JSON.stringify({ ...m, checksum: undefined }));

/** Sets the manifest's own checksum and returns its text. */
export function serializeManifest(m: IndexManifest): string {
  m.checksum = manifestChecksum(m);
  return JSON.stringify(m, null, 1);
}

export const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/**
 * Changes whenever anything a document's passages are made of changes: its clause ids (which carry
 * a hash of each clause's text and its structural key), texts and heading paths, and its title
 * (part of every passage embedded). Equal hashes mean equal chunks and equal passage texts.
 */
export function documentContentHash(doc: Pick<PolicyDocument, 'title'>, clauses: Pick<Clause, 'id' | 'text' | 'headingPath'>[]): string {
  const h = createHash('sha256');
  h.update(`${doc.title}\0`);
  for (const c of clauses) h.update(`${c.id}\0${c.headingPath.join('\u001f')}\0${c.text}\0`);
  return h.digest('hex');
}

export const sameModel = (a: ModelInfo, b: ModelInfo): boolean => a.id === b.id && a.sha256 === b.sha256 && a.dims === b.dims;

/** Reads and shape-checks a generation's manifest; anything unreadable is an IndexCorruptError. */
export async function readManifest(dir: string): Promise<IndexManifest> {
  let m: IndexManifest;
  try {
    m = JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), 'utf8')) as IndexManifest;
  } catch (err) {
    throw new IndexCorruptError(dir, `${MANIFEST_FILE} is missing or not valid JSON (${(err as Error).message})`, { cause: err });
  }
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const ok =
    isRecord(m) &&
    typeof m.formatVersion === 'number' &&
    isRecord(m.model) &&
    typeof m.model.id === 'string' &&
    typeof m.model.sha256 === 'string' &&
    typeof m.model.dims === 'number' &&
    typeof m.chunkerVersion === 'number' &&
    isRecord(m.files) &&
    isRecord(m.documents) &&
    Object.values(m.documents).every((d) => isRecord(d) && Array.isArray(d.chunkIds) && typeof d.contentHash === 'string') &&
    isRecord(m.artifacts);
  if (!ok) throw new IndexCorruptError(dir, `${MANIFEST_FILE} does not have the expected fields`);
  const salvage = SALVAGEABLE_FORMAT_VERSIONS.includes(m.formatVersion) && m.checksum === undefined;
  if (!salvage && m.checksum !== manifestChecksum(m)) throw new IndexCorruptError(dir, `${MANIFEST_FILE} is damaged (its checksum differs)`);
  return m;
}

/** sha256 of each corpus file's bytes, keyed by file name. */
export async function hashFiles(dir: string, names: string[]): Promise<Record<string, { sha256: string }>> {
  const out: Record<string, { sha256: string }> = {};
  for (const name of names) out[name] = { sha256: sha256(await readFile(path.join(dir, name))) };
  return out;
}

export function sameFiles(a: Record<string, { sha256: string }>, b: Record<string, { sha256: string }>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => b[k]?.sha256 === a[k]!.sha256);
}
