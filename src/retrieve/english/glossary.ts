// Curated English→Chinese policy glossary, kept as data in glossary.tsv next to this module.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GlossaryError } from './errors.ts';
import { projectFile } from '../../util/paths.ts';
import { phraseKey, phraseTable } from './text.ts';

const GLOSSARY_PATH = join('src', 'retrieve', 'english', 'glossary.tsv');

export interface Glossary {
  /** Chinese terms for a normalised English key (see phraseKey), best first. */
  lookup(key: string): readonly string[] | undefined;
  hasWord(word: string): boolean;
  readonly maxWords: number;
  /** Number of TSV rows (concepts). */
  readonly entries: number;
  /** Number of distinct English keys. */
  readonly phrases: number;
}

/**
 * Parse glossary TSV: `english | english …<TAB>中文 | 中文 …`; `#` starts a comment line.
 * Repeated English keys merge their Chinese terms in file order.
 */
export function parseGlossary(text: string, file = 'glossary.tsv'): Glossary {
  const map = new Map<string, string[]>();
  let entries = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const cols = line.split('\t');
    if (cols.length !== 2) throw new GlossaryError(`expected 2 tab-separated columns, got ${cols.length}`, file, i + 1);
    const english = cols[0]!.split('|').map((s) => phraseKey(s)).filter(Boolean);
    const chinese = cols[1]!.split('|').map((s) => s.trim()).filter(Boolean);
    if (english.length === 0 || chinese.length === 0) throw new GlossaryError('empty English or Chinese column', file, i + 1);
    entries++;
    for (const key of english) {
      const terms = map.get(key) ?? [];
      for (const zh of chinese) if (!terms.includes(zh)) terms.push(zh);
      map.set(key, terms);
    }
  });
  return {
    ...phraseTable(map),
    entries,
    phrases: map.size,
  };
}

/** Read the glossary; by default from <project root>/src/retrieve/english/glossary.tsv (works from dist/ too). */
export function loadGlossary(file?: string): Glossary {
  const path = file ?? projectFile(GLOSSARY_PATH) ?? GLOSSARY_PATH;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new GlossaryError('cannot read glossary', path, undefined, { cause });
  }
  return parseGlossary(text, path);
}
