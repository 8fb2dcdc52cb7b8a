// English → Chinese query terms for a Chinese-only retriever (jieba BM25 + bge-small-zh).
//
// Usage: `translateQuery(text, { vocabulary })` is synchronous. The first call loads the glossary
// and the CC-CEDICT reverse index (≈0.3 s from the .cache/ copy, ≈1.5 s the very first time while
// the cache is built); call `loadTranslator()` at a convenient moment to pay that cost up front.
//
// Matching order over each run of English words: numbers, glossary phrases (longest first),
// CC-CEDICT phrases, then single words (glossary candidates before CC-CEDICT ones). Chinese runs in
// a mixed query are kept verbatim.
import { loadCedictIndex, type CedictIndex, type CedictOptions } from './cedict.ts';
import { loadGlossary, type Glossary } from './glossary.ts';
import { englishTokens, isStopword, lemmaVariants, singular } from './text.ts';

export type TermSource = 'glossary' | 'cedict' | 'verbatim' | 'number';

export interface TranslatedTerm {
  /** English words the term came from (lower-cased), or the verbatim text. */
  en: string;
  /** Chinese search terms, best first, at most `maxPerTerm`. */
  zh: string[];
  source: TermSource;
}

export interface QueryTranslation {
  original: string;
  terms: TranslatedTerm[];
  /** Distinct Chinese terms joined with spaces, for BM25 and for the embedding model. */
  zhQuery: string;
  /** Content words with no usable translation (for diagnostics). */
  untranslated: string[];
}

export interface TranslateOptions {
  /**
   * Corpus document frequency of a Chinese term. When given, candidates absent from the corpus
   * are dropped (except the first glossary term when none of its siblings is present) and the rest
   * ranked by frequency, then by glossary/dictionary order. Glossary candidates, when a term has
   * any, replace the dictionary's.
   */
  vocabulary?: (zh: string) => number;
  /** Chinese candidates kept per English term; default 3. */
  maxPerTerm?: number;
}

export interface TranslatorOptions extends CedictOptions {
  glossaryFile?: string;
}

export interface Translator {
  glossary: Glossary;
  cedict: CedictIndex;
}

let translator: Translator | undefined;

/** Load (or, with options, reload) the glossary and the CC-CEDICT index. Synchronous. */
export function loadTranslator(opts?: TranslatorOptions): Translator {
  if (!translator || opts) {
    translator = { glossary: loadGlossary(opts?.glossaryFile), cedict: loadCedictIndex(opts) };
  }
  return translator;
}

const CJK_RUN = /([\u3400-\u9fff\uf900-\ufaff\u3007]+)/;
const LATIN_WORD = /[A-Za-z]{2,}/g;
const CJK_CHAR = /[\u3400-\u9fff\uf900-\ufaff]/g;

/** True when English carries the query: roughly one English word per two Chinese characters. */
export function isMostlyEnglish(text: string): boolean {
  const words = text.match(LATIN_WORD)?.length ?? 0;
  const cjk = text.match(CJK_CHAR)?.length ?? 0;
  return words >= 2 && words * 2 >= cjk;
}

interface Token {
  /** Lower-cased surface form. */
  raw: string;
  /** Plural-folded form used for keys. */
  norm: string;
  stop: boolean;
  number: boolean;
}

interface Hit {
  start: number;
  end: number;
  term: TranslatedTerm;
}

export function translateQuery(text: string, opts: TranslateOptions = {}): QueryTranslation {
  const { glossary, cedict } = loadTranslator();
  const max = opts.maxPerTerm ?? 3;
  const known = (w: string): boolean => glossary.hasWord(w) || cedict.hasWord(w);
  const terms: TranslatedTerm[] = [];
  const untranslated: string[] = [];

  // split() with a capture group alternates English-ish and Chinese segments.
  text.split(CJK_RUN).forEach((segment, i) => {
    if (i % 2 === 1) {
      terms.push({ en: segment, zh: [segment], source: 'verbatim' });
      return;
    }
    const tokens: Token[] = englishTokens(segment).map((raw) => ({
      raw,
      norm: singular(raw),
      stop: isStopword(raw),
      number: /^\d/.test(raw),
    }));
    const hits = matchSegment(tokens, { glossary, cedict, known, max, vocabulary: opts.vocabulary, untranslated });
    for (const hit of hits) terms.push(hit.term);
  });

  const seen = new Set<string>();
  const zh: string[] = [];
  for (const term of terms) for (const z of term.zh) if (!seen.has(z)) (seen.add(z), zh.push(z));
  return { original: text, terms, zhQuery: zh.join(' '), untranslated };
}

interface MatchContext extends Translator {
  known(word: string): boolean;
  max: number;
  vocabulary: ((zh: string) => number) | undefined;
  untranslated: string[];
}

function matchSegment(tokens: Token[], ctx: MatchContext): Hit[] {
  const covered = new Array<boolean>(tokens.length).fill(false);
  const hits: Hit[] = [];
  const take = (start: number, end: number, term: TranslatedTerm): void => {
    covered.fill(true, start, end);
    if (term.zh.length > 0) hits.push({ start, end, term });
  };
  const free = (start: number, end: number): boolean => !covered.slice(start, end).some(Boolean);
  const words = (start: number, end: number): string =>
    tokens
      .slice(start, end)
      .map((t) => t.raw)
      .join(' ');

  // Numbers: "3 million" → 300万, "50 percent" → 50%; amounts in the corpus are written this way.
  tokens.forEach((t, i) => {
    if (!t.number || covered[i]) return;
    const n = Number(t.raw.replace(/[,%]/g, ''));
    const next = tokens[i + 1]?.raw;
    const scaled =
      next === 'million' ? [`${n * 100}万`, 2] : next === 'billion' ? [`${n * 10}亿`, 2]
      : next === 'percent' ? [`${n}%`, 2] : [t.raw.replace(/,/g, ''), 1];
    const [zh, width] = scaled as [string, number];
    take(i, i + width, { en: words(i, i + width), zh: [zh], source: 'number' });
  });

  // Phrases: glossary first, then CC-CEDICT; a CC-CEDICT phrase may not start or end with a stopword.
  const phrasePass = (maxWords: number, source: 'glossary' | 'cedict'): void => {
    for (let i = 0; i < tokens.length; i++) {
      for (let len = Math.min(maxWords, tokens.length - i); len >= 2; len--) {
        if (!free(i, i + len)) continue;
        if (source === 'cedict' && (tokens[i]!.stop || tokens[i + len - 1]!.stop)) continue;
        const found = phraseKeys(tokens.slice(i, i + len), ctx.known)
          .map((key) => (source === 'glossary' ? ctx.glossary : ctx.cedict).lookup(key))
          .find((zh) => zh !== undefined);
        if (!found) continue;
        const key = tokens.slice(i, i + len).map((t) => t.norm).join(' ');
        const zh =
          source === 'glossary'
            ? rank(found, ctx.cedict.lookup(key) ?? [], ctx)
            : rank([], found, ctx);
        take(i, i + len, { en: words(i, i + len), zh, source });
        i += len - 1;
        break;
      }
    }
  };
  phrasePass(ctx.glossary.maxWords, 'glossary');
  phrasePass(ctx.cedict.maxWords, 'cedict');

  // Single content words.
  tokens.forEach((t, i) => {
    if (covered[i] || t.stop) return;
    const forms = [t.norm, ...lemmaVariants(t.raw)];
    const fromGlossary = firstLookup(forms, ctx.glossary) ?? [];
    const fromCedict = firstLookup(forms, ctx.cedict) ?? [];
    let zh = rank(fromGlossary, fromCedict, ctx);
    let source: TermSource = fromGlossary.length > 0 ? 'glossary' : 'cedict';
    // An untranslatable token the corpus uses as-is (QFLP, ICP, CBD) is still a good search term.
    if (zh.length === 0 && ctx.vocabulary) {
      const verbatim = [t.raw.toUpperCase(), t.raw].find((v) => ctx.vocabulary!(v) > 0);
      if (verbatim) (zh = [verbatim]), (source = 'verbatim');
    }
    if (zh.length === 0) ctx.untranslated.push(t.raw);
    take(i, i + 1, { en: t.raw, zh, source });
  });

  return hits.sort((a, b) => a.start - b.start);
}

/** Keys to try for a word window: as written, then with -ing/-ed words reduced to a known base form. */
function phraseKeys(window: Token[], known: (w: string) => boolean): string[] {
  const surface = window.map((t) => t.norm).join(' ');
  const lemma = window
    .map((t) => lemmaVariants(t.raw).find(known) ?? t.norm)
    .join(' ');
  return lemma === surface ? [surface] : [surface, lemma];
}

function firstLookup(forms: string[], source: Glossary | CedictIndex): readonly string[] | undefined {
  for (const form of forms) {
    const zh = source.lookup(form);
    if (zh) return zh;
  }
  return undefined;
}

/**
 * At most `max` Chinese terms: curated glossary candidates when there are any (the dictionary's
 * extra senses are mostly noise then), otherwise CC-CEDICT ones; filtered by the vocabulary if given.
 */
function rank(fromGlossary: readonly string[], fromCedict: readonly string[], ctx: MatchContext): string[] {
  const vocabulary = ctx.vocabulary;
  if (!vocabulary) return (fromGlossary.length > 0 ? fromGlossary : fromCedict).slice(0, ctx.max);
  const present = (list: readonly string[]): { zh: string; df: number; order: number }[] =>
    list
      .map((zh, order) => ({ zh, df: vocabulary(zh), order }))
      .filter((c) => c.df > 0)
      .sort((a, b) => b.df - a.df || a.order - b.order);
  const glossary = present(fromGlossary);
  // A token-based vocabulary may miss a compound that BM25 would split anyway: keep the curated term.
  const chosen = glossary.length > 0 ? glossary : fromGlossary.length > 0 ? [{ zh: fromGlossary[0]! }] : present(fromCedict);
  return chosen.slice(0, ctx.max).map((c) => c.zh);
}
