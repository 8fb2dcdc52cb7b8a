import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CorpusManifestError } from '../corpus/errors.ts';

/**
 * corpus/manifest.json: provenance of each file and metadata its text lacks (002 and 004 carry no
 * title). Files without an entry are ingested from their text alone.
 */
export interface ManifestEntry {
  originalName?: string;
  /** For a file holding one document whose text has no title. */
  title?: string;
  issuer?: string;
  docNumber?: string;
  issueDate?: string;
  note?: string;
}

export type CorpusManifest = Record<string, ManifestEntry>;

export const MANIFEST_FILE = 'manifest.json';

export async function loadManifest(corpusDir: string): Promise<CorpusManifest> {
  const file = path.join(corpusDir, MANIFEST_FILE);
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch {
    return {};
  }
  try {
    const parsed = JSON.parse(raw) as { files?: CorpusManifest };
    return parsed.files ?? {};
  } catch (e) {
    throw new CorpusManifestError(`${file}: not valid JSON (${(e as Error).message})`, file);
  }
}
