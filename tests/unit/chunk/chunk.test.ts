import { describe, expect, it } from 'vitest';
import { chunkClause, shortHash } from '../../../src/chunk/chunk.ts';
import type { Clause } from '../../../src/parse/types.ts';

const clause = (text: string): Clause => ({ id: 'c1', docId: 'd1', label: '《某办法》第三条', number: '第三条', headingPath: ['第一章 总则'], text, start: 0, end: text.length, sourceStart: 0, sourceEnd: text.length, ordinal: 0 });
/** A sentence of n characters ending in 。 */
const sentence = (n: number, ch = '句') => ch.repeat(n - 1) + '。';

describe('chunkClause', () => {
  it('keeps a clause of up to 600 characters whole, under the clause id and label', () => {
    const text = sentence(600);
    expect(chunkClause(clause(text), '某办法', '款')).toEqual([
      { id: 'c1', clauseId: 'c1', docId: 'd1', label: '《某办法》第三条', title: '某办法', headingPath: ['第一章 总则'], text, start: 0, end: 600 },
    ]);
    expect(chunkClause(clause(''), '某办法', '款')).toMatchObject([{ id: 'c1', text: '', start: 0, end: 0 }]);
  });

  it('splits a longer clause at paragraphs, labelling each piece with its 款', () => {
    const paras = [sentence(100).repeat(3), sentence(100, '乙').repeat(3), sentence(100, '丙').repeat(3)];
    const text = paras.join('\n');
    const chunks = chunkClause(clause(text), '某办法', '款');
    expect(chunks.map((c) => [c.id, c.label])).toEqual([
      ['c1~1', '《某办法》第三条第1款'],
      ['c1~2', '《某办法》第三条第2款'],
      ['c1~3', '《某办法》第三条第3款'],
    ]);
    for (const c of chunks) {
      expect(c.text).toBe(text.slice(c.start, c.end));
      expect(c).toMatchObject({ clauseId: 'c1', docId: 'd1', title: '某办法' });
    }
    // each piece after the first opens with the last sentence of the piece before
    expect(chunks[1]!.text.startsWith(sentence(100))).toBe(true);
    expect(chunks[1]!.text.endsWith(paras[1]!)).toBe(true);
    expect(chunks[2]!.text.startsWith(sentence(100, '乙'))).toBe(true);
  });

  it('packs short paragraphs together and labels the run 第1至2款', () => {
    const text = [sentence(200), sentence(200, '乙'), sentence(300, '丙')].join('\n');
    const chunks = chunkClause(clause(text), '某办法', '段');
    expect(chunks.map((c) => c.label)).toEqual(['《某办法》第三条第1至2段', '《某办法》第三条第3段']);
    expect(chunks[0]!.text).toBe(text.slice(0, 401));
  });

  it('splits one long paragraph at sentences, every piece within 500 characters and the whole text covered', () => {
    const text = sentence(100).repeat(14);
    const chunks = chunkClause(clause(text), '某办法', '段');
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.every((c) => c.label === '《某办法》第三条第1段')).toBe(true);
    expect(Math.max(...chunks.map((c) => c.text.length))).toBeLessThanOrEqual(500);
    expect(chunks[0]!.start).toBe(0);
    expect(chunks.at(-1)!.end).toBe(text.length);
    for (let i = 1; i < chunks.length; i++) expect(chunks[i]!.start).toBeLessThanOrEqual(chunks[i - 1]!.end);
  });

  it('never starts a piece on whitespace', () => {
    const text = [sentence(400), '  ' + sentence(400, '乙')].join('\n');
    const chunks = chunkClause(clause(text), '某办法', '款');
    expect(chunks).toHaveLength(2);
    expect(chunks[1]!.text.startsWith('乙')).toBe(true);
  });
});

describe('shortHash', () => {
  it('is a stable hex prefix of the sha256', () => {
    expect(shortHash('')).toBe('e3b0c4');
    expect(shortHash('abc', 8)).toBe('ba7816bf');
    expect(shortHash('甲')).not.toBe(shortHash('乙'));
  });
});
