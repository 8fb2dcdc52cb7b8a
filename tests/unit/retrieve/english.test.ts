import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCedictIndex } from '../../../src/retrieve/english/cedict.ts';
import { GlossaryError, TranslatorError } from '../../../src/retrieve/english/errors.ts';
import { loadGlossary, parseGlossary } from '../../../src/retrieve/english/glossary.ts';
import { isMostlyEnglish, loadTranslator, translateQuery } from '../../../src/retrieve/english/translate.ts';

const cacheDir = mkdtempSync(join(tmpdir(), 'english-cedict-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

const allZh = (text: string, opts?: Parameters<typeof translateQuery>[1]): string[] =>
  translateQuery(text, opts).terms.flatMap((t) => t.zh);

describe('CC-CEDICT reverse index', () => {
  it('builds once, then loads from the on-disk cache', () => {
    const built = loadCedictIndex({ cacheDir });
    const cached = loadCedictIndex({ cacheDir });
    console.log(`cedict: built in ${built.loadMs.toFixed(0)} ms, cached load ${cached.loadMs.toFixed(0)} ms, ${cached.keyCount} keys`);
    expect(built.source).toBe('built');
    expect(built.cacheError).toBeUndefined();
    expect(cached.source).toBe('cache');
    expect(cached.keyCount).toBe(built.keyCount);
    expect(cached.lookup('bank')).toEqual(built.lookup('bank'));
    // Written atomically: no temp file left behind.
    expect(readdirSync(cacheDir)).toEqual(['cedict-reverse.tsv']);
  });

  it('maps English glosses to headwords, best sense first', () => {
    const index = loadCedictIndex({ cacheDir });
    expect(index.lookup('bank')?.[0]).toBe('银行');
    expect(index.lookup('customs duty')).toContain('关税');
    expect(index.lookup('listed company')).toContain('上市公司');
    expect(index.lookup('subsidy')).toEqual(expect.arrayContaining(['补贴', '补助']));
  });
});

describe('glossary', () => {
  it('loads the real glossary with a few hundred policy concepts', () => {
    const glossary = loadGlossary();
    expect(glossary.entries).toBeGreaterThan(300);
    expect(glossary.lookup('comprehensive bonded zone')).toContain('综合保税区');
    expect(glossary.lookup('ftz')).toContain('自贸试验区');
  });

  it('rejects malformed rows with a typed error naming the line', () => {
    const bad = () => parseGlossary('# ok\nfree trade zone 自贸区\n', 'g.tsv');
    expect(bad).toThrow(GlossaryError);
    expect(bad).toThrow(TranslatorError);
    expect(bad).toThrow(/g\.tsv:2/);
  });
});

describe('translateQuery', () => {
  beforeAll(() => void loadTranslator({ cacheDir }));

  it('translates policy phrases through the glossary', () => {
    expect(allZh('foreign bank')).toEqual(expect.arrayContaining(['外资银行']));
    expect(allZh('foreign bank').some((z) => z === '外资银行' || z === '外国银行')).toBe(true);
    expect(allZh('customs duty guarantee')).toContain('关税保函');
    const leave = allZh('Is paid annual leave granted to staff');
    expect(leave.some((z) => z === '带薪年休假' || z === '年休假')).toBe(true);
    expect(allZh('Can a wholly foreign-owned enterprise apply?')).toContain('外商独资');
    expect(allZh('specialized and sophisticated SMEs')).toEqual(expect.arrayContaining(['专精特新', '中小企业']));
  });

  it('prefers the longest phrase and falls back to CC-CEDICT for other words', () => {
    const tr = translateQuery('customs duty guarantees for the importers of umbrellas');
    expect(tr.terms[0]).toMatchObject({ en: 'customs duty guarantees', zh: ['关税保函'], source: 'glossary' });
    const umbrella = tr.terms.find((t) => t.en === 'umbrellas');
    expect(umbrella?.source).toBe('cedict');
    expect(umbrella?.zh).toContain('伞');
  });

  it('drops stopwords and lemmatises plurals and -ing/-ed forms', () => {
    const tr = translateQuery('What is the of and to for which');
    expect(tr.terms).toEqual([]);
    expect(tr.zhQuery).toBe('');
    expect(allZh('subsidies')).toContain('补贴');
    expect(allZh('listed')).toContain('上市');
    expect(translateQuery('umbrellas').terms[0]?.zh).toEqual(translateQuery('umbrella').terms[0]?.zh);
  });

  it('keeps the Chinese parts of a mixed query', () => {
    const tr = translateQuery('Which department handles 专精特新 certification?');
    expect(tr.terms.map((t) => t.zh[0])).toContain('专精特新');
    expect(tr.terms.find((t) => t.en === '专精特新')?.source).toBe('verbatim');
    expect(tr.zhQuery.split(' ')).toContain('认证');
  });

  it('converts amounts to the way the corpus writes them', () => {
    expect(allZh('a subsidy of 3 million yuan')).toContain('300万');
    expect(allZh('capped at 50 percent')).toContain('50%');
  });

  it('uses the corpus vocabulary to drop absent candidates and keep rare present ones', () => {
    const df: Record<string, number> = { 外资银行: 2, 休假: 3, 年休假: 0, 银行: 9, 伞: 0 };
    const vocabulary = (zh: string): number => df[zh] ?? 0;
    expect(allZh('foreign bank', { vocabulary })).toEqual(['外资银行']);
    // No glossary term present: keep the first curated one rather than nothing.
    expect(allZh('annual leave', { vocabulary: () => 0 })).toEqual(['带薪年休假']);
    expect(allZh('paid annual leave', { vocabulary })).toEqual(['休假']);
    const tr = translateQuery('umbrella', { vocabulary });
    expect(tr.terms).toEqual([]);
    expect(tr.untranslated).toEqual(['umbrella']);
  });

  it('caps candidates per term and deduplicates the query', () => {
    const tr = translateQuery('FTZ free trade zone bank bank', { maxPerTerm: 2 });
    expect(tr.terms.length).toBeGreaterThan(0);
    for (const t of tr.terms) expect(t.zh.length).toBeLessThanOrEqual(2);
    const words = tr.zhQuery.split(' ');
    expect(new Set(words).size).toBe(words.length);
  });
});

describe('isMostlyEnglish', () => {
  it('detects the query language', () => {
    expect(isMostlyEnglish('What listing subsidy applies to us?')).toBe(true);
    expect(isMostlyEnglish('What is 专精特新?')).toBe(true);
    expect(isMostlyEnglish('外资企业申请ICP许可证需要多久？')).toBe(false);
    expect(isMostlyEnglish('自贸试验区的FTZ政策有哪些')).toBe(false);
    expect(isMostlyEnglish('')).toBe(false);
  });
});

describe('first-load timing (logged, not asserted)', () => {
  it('reports how long a fresh process would take', () => {
    const dir = mkdtempSync(join(tmpdir(), 'english-cold-'));
    try {
      const t0 = performance.now();
      loadTranslator({ cacheDir: dir });
      const cold = performance.now() - t0;
      const t1 = performance.now();
      loadTranslator({ cacheDir: dir });
      const warm = performance.now() - t1;
      const t2 = performance.now();
      translateQuery('Can a foreign bank provide customs duty guarantees in the FTZ?');
      console.log(`translator: cold ${cold.toFixed(0)} ms, from cache ${warm.toFixed(0)} ms, one query ${(performance.now() - t2).toFixed(1)} ms`);
      expect(readFileSync(join(dir, 'cedict-reverse.tsv'), 'utf8').startsWith('#cedict-reverse')).toBe(true);
    } finally {
      loadTranslator({ cacheDir });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
