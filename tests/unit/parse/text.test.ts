import { describe, expect, it } from 'vitest';
import { DATE_ONLY, DATE_RE, DOC_TYPE, findLoose, isoDate, looseKey, paragraphsOf } from '../../../src/parse/text.ts';

describe('paragraphsOf', () => {
  it('gives each non-empty line with its offsets, skipping blank lines', () => {
    const text = '甲段\n\n乙段文字\n丙';
    const paras = paragraphsOf(text);
    expect(paras).toEqual([
      { start: 0, end: 2, text: '甲段' },
      { start: 4, end: 8, text: '乙段文字' },
      { start: 9, end: 10, text: '丙' },
    ]);
    for (const p of paras) expect(text.slice(p.start, p.end)).toBe(p.text);
  });

  it('stays inside [from, to), cutting a line at to', () => {
    const text = '甲段\n乙段文字\n丙段';
    expect(paragraphsOf(text, 3, 5)).toEqual([{ start: 3, end: 5, text: '乙段' }]);
    expect(paragraphsOf(text, 3).map((p) => p.text)).toEqual(['乙段文字', '丙段']);
  });

  it('gives nothing for empty text or only line breaks', () => {
    expect(paragraphsOf('')).toEqual([]);
    expect(paragraphsOf('\n\n\n')).toEqual([]);
  });
});

describe('looseKey and findLoose', () => {
  it('ignore whitespace and punctuation width', () => {
    expect(looseKey('关于 某事(试行)')).toBe('关于某事（试行）');
    expect(looseKey('甲,乙:丙;丁!戊?')).toBe('甲，乙：丙；丁！戊？');
    expect(looseKey('甲\u3000乙\n丙')).toBe('甲乙丙');
    expect(looseKey('')).toBe('');
  });

  it('find a title wrapped over lines and written with half-width brackets', () => {
    const hay = '前言\n关于某某\n事项的办法(试行)\n正文';
    const at = findLoose(hay, '关于某某事项的办法（试行）');
    expect(at).not.toBeNull();
    expect(hay.slice(at![0], at![1])).toBe('关于某某\n事项的办法(试行)');
  });

  it('search from an offset and give null for no match or an empty needle', () => {
    const hay = '某办法。某办法。';
    expect(findLoose(hay, '某办法')).toEqual([0, 3]);
    expect(findLoose(hay, '某办法', 1)).toEqual([4, 7]);
    expect(findLoose(hay, '别的办法')).toBeNull();
    expect(findLoose(hay, '  \n')).toBeNull();
    expect(findLoose('', '某')).toBeNull();
  });
});

describe('DOC_TYPE', () => {
  it('recognises the document-type word ending a title, with a version note', () => {
    for (const t of ['某某管理办法', '某某条例', '关于某事的通知', '某某实施细则（试行）', '某某措施(暂行)']) expect(DOC_TYPE.test(t), t).toBe(true);
    expect(DOC_TYPE.test('某某政策（第二批）')).toBe(true);
    expect(DOC_TYPE.test('办法如下')).toBe(false);
    expect(DOC_TYPE.test('某某名单')).toBe(false);
  });
});

describe('dates', () => {
  it('read a date with or without spaces and write it as ISO', () => {
    const m = DATE_RE.exec('于2021 年 3 月 5 日起施行')!;
    expect(isoDate(m)).toBe('2021-03-05');
    expect(isoDate(DATE_RE.exec('2021年12月23日')!)).toBe('2021-12-23');
    expect(DATE_ONLY.test('2021年12月23日')).toBe(true);
    expect(DATE_ONLY.test('自2021年12月23日起')).toBe(false);
    expect(DATE_RE.exec('2021年12月')).toBeNull();
  });
});
