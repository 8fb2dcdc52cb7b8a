import { beforeAll, describe, expect, it } from 'vitest';
import type { Chunk } from '../../../src/chunk/chunk.ts';
import { ingestCorpus, type Corpus } from '../../../src/ingest/ingest.ts';
import { Bm25Index, buildChunkIndex, buildUserDict, ChineseTokenizer } from '../../../src/index/lexical/index.ts';

let corpus: Corpus;
let index: Bm25Index;
let userTerms: string[];

beforeAll(async () => {
  corpus = await ingestCorpus(new URL('../../../corpus', import.meta.url).pathname);
  userTerms = buildUserDict(corpus.documents, corpus.chunks);
  index = buildChunkIndex(corpus.documents, corpus.chunks);
});

const chunkWith = (needle: string): Chunk => {
  const c = corpus.chunks.find((x) => x.text.includes(needle));
  if (!c) throw new Error(`no chunk contains ${needle}`);
  return c;
};

describe('user dictionary', () => {
  it('holds static abbreviations, quoted programme names and department names', () => {
    for (const t of ['自贸区', '专精特新', '两区', '市商务局']) expect(userTerms).toContain(t);
    expect(userTerms.every((t) => /^\p{Script=Han}{2,8}$/u.test(t))).toBe(true);
  });
});

describe('tokenizer', () => {
  it('keeps user-dictionary terms whole and numbers as tokens, drops stopwords and punctuation', () => {
    const tokens = index.tokenize('2022 年，“专精特新”企业的奖励为500万元。');
    expect(tokens).toContain('专精特新');
    expect(tokens).toContain('2022');
    expect(tokens).toContain('500');
    for (const t of ['的', '为', '，', '“', '。', ' ']) expect(tokens).not.toContain(t);
  });

  it('normalises full-width forms and Latin case', () => {
    expect(index.tokenize('ＡＰＩ　５Ｇ')).toEqual(expect.arrayContaining(['api', '5g']));
  });

  it('emits Han bigrams for the second field', () => {
    expect(new ChineseTokenizer().bigrams('外资股比')).toEqual(['外资', '资股', '股比']);
  });
});

describe('Bm25Index', () => {
  it('ranks the chunk holding a distinctive phrase first, with matched terms', () => {
    const target = chunkWith('自贸试验区工作领导小组');
    const [top] = index.search('自贸试验区工作领导小组', 5);
    expect(top?.id).toBe(target.id);
    expect(top!.score).toBeGreaterThan(0);
    expect(top!.matched.length).toBeGreaterThan(0);
  });

  it('applies the filter before cutting to k', () => {
    const target = chunkWith('自贸试验区工作领导小组');
    const hits = index.search('自贸试验区工作领导小组', 5, (id) => id !== target.id);
    expect(hits).toHaveLength(5);
    expect(hits.map((h) => h.id)).not.toContain(target.id);
    const docOnly = index.search('自贸试验区', 10, (id) => id.startsWith(target.docId));
    expect(docOnly.length).toBeGreaterThan(0);
    expect(docOnly.every((h) => corpus.chunks.find((c) => c.id === h.id)!.docId === target.docId)).toBe(true);
  });

  it('counts document frequency over tokens', () => {
    expect(index.size).toBe(corpus.chunks.length);
    const withTerm = corpus.chunks.filter((c) => c.text.includes('专精特新')).length;
    expect(index.docFreq('专精特新')).toBeGreaterThanOrEqual(withTerm);
    expect(index.docFreq('专精特新')).toBeLessThanOrEqual(index.size);
    expect(index.docFreq('不存在的词汇组合xyz')).toBe(0);
    expect(index.docFreq('')).toBe(0);
  });

  it('gives identical results after a JSON round trip', () => {
    const copy = Bm25Index.fromJSON(JSON.parse(JSON.stringify(index)));
    for (const q of ['自贸区企业通关便利', '专精特新中小企业奖励', '药店申请医保定点的条件']) {
      expect(copy.search(q, 10)).toEqual(index.search(q, 10));
    }
    expect(copy.docFreq('综合保税区')).toBe(index.docFreq('综合保税区'));
  });

  it('survives bad queries', () => {
    const bad = ['', '   ', '，。！？……', '😀🎉', '的了和', "'; DROP TABLE chunks; --", '<script>alert(1)</script>', '自'.repeat(10_000), 'a'.repeat(10_000)];
    for (const q of bad) expect(() => index.search(q, 10)).not.toThrow();
    for (const q of ['', '   ', '，。！？……', '😀🎉', '的了和']) expect(index.search(q, 10)).toEqual([]);
    expect(index.search('自贸区', 0)).toEqual([]);
  });
});
