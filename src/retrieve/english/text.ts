// English-side normalisation shared by the glossary, the CC-CEDICT reverse index and the query
// translator: all three must normalise identically or phrase keys would never meet.

const STOPWORDS = new Set(
  (
    'a an the and or but nor so yet if then than as of at by for from in into onto on to with without ' +
    'about above after again against along among around before behind below beneath beside besides between ' +
    'beyond during except inside near off out outside over per since through throughout till toward towards ' +
    'under until up upon via within also just only very too quite rather really even still already ever ' +
    'i me my mine myself we us our ours ourselves you your yours yourself yourselves he him his himself she ' +
    'her hers herself it its itself they them their theirs themselves this that these those there here ' +
    'what which who whom whose when where why how whether is am are was were be been being have has had ' +
    'having do does did doing done can could would should will shall may might must ought let lets ' +
    "get gets got getting go goes going s t d ll m re ve don doesn didn isn aren wasn weren won wouldn " +
    "shouldn couldn can't cannot not no any some such each every all both either neither other another " +
    'own same more most many much few lot lots please tell know want like need say said one ones thing things ' +
    'kind sort way ok okay yes hi hello thanks thank actually currently generally basically e g eg ie etc'
  ).split(/\s+/),
);

/** Plurals whose singular means something else (customs ≠ custom, securities ≠ security). */
const KEEP_PLURAL = new Set([
  'customs', 'goods', 'news', 'premises', 'securities', 'futures', 'logistics', 'statistics', 'economics',
  'means', 'series', 'species', 'headquarters', 'arms', 'earnings', 'savings', 'proceeds', 'damages',
  'humanities', 'rights',
]);

export function isStopword(word: string): boolean {
  return STOPWORDS.has(word);
}

/** Reduce plurals to a stable form (not always the dictionary lemma, but the same on both sides). */
export function singular(word: string): string {
  if (word.length <= 3 || KEEP_PLURAL.has(word) || !word.endsWith('s')) return word;
  if (word.endsWith('ies') && word.length > 4) return word.slice(0, -3) + 'y';
  if (word.endsWith('sses')) return word.slice(0, -2);
  if (/(ss|us|is|ous)$/.test(word)) return word;
  if (/(x|ch|sh|z)es$/.test(word)) return word.slice(0, -2);
  return word.slice(0, -1);
}

/** Candidate base forms of an -ing/-ed word, most likely first; empty when not inflected. */
export function lemmaVariants(word: string): string[] {
  const out: string[] = [];
  const undouble = (stem: string): void => {
    if (/([b-df-hj-np-tv-z])\1$/.test(stem)) out.push(stem.slice(0, -1));
  };
  if (word.endsWith('ing') && word.length > 5) {
    const stem = word.slice(0, -3);
    out.push(stem, stem + 'e');
    undouble(stem);
  } else if (word.endsWith('ied') && word.length > 4) {
    out.push(word.slice(0, -3) + 'y');
  } else if (word.endsWith('ed') && word.length > 4) {
    const stem = word.slice(0, -2);
    out.push(stem, word.slice(0, -1));
    undouble(stem);
  }
  return out;
}

/** Lower-cased word/number tokens; hyphens and apostrophes split words ("e-commerce" → e commerce). */
export function englishTokens(text: string): string[] {
  const cleaned = text
    .toLowerCase()
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/'s\b/g, '');
  return cleaned.match(/\d+(?:[.,]\d+)*%?|[a-z]+/g) ?? [];
}

/** Normalised key for a phrase: tokens, singularised, space-joined. */
export function phraseKey(text: string): string {
  return englishTokens(text).map(singular).join(' ');
}

/**
 * Nearest directory at or above this module that contains `relative`. Works from src/ (vitest, tsx)
 * and from the esbuild bundle in dist/, where import.meta.url points at dist/cli.js.
 */

/** Lookups over a phrase table keyed by space-separated English words (glossary and CC-CEDICT alike). */
export function phraseTable(map: ReadonlyMap<string, string[]>): { lookup: (key: string) => string[] | undefined; hasWord: (word: string) => boolean; maxWords: number } {
  const words = new Set<string>();
  let maxWords = 1;
  for (const key of map.keys()) {
    const parts = key.split(' ');
    maxWords = Math.max(maxWords, parts.length);
    for (const w of parts) words.add(w);
  }
  return { lookup: (key) => map.get(key), hasWord: (word) => words.has(word), maxWords };
}
