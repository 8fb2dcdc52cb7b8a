import { describe, expect, it } from 'vitest';
import { sentencesOf, stripMarker } from '../../../src/chunk/sentences.ts';

describe('sentencesOf', () => {
  it('splits at 。；！？ and line breaks, with offsets into the text and no surrounding space', () => {
    const text = '甲句。乙句；丙句！丁句？\n  戊句';
    const out = sentencesOf(text);
    expect(out.map((s) => s.text)).toEqual(['甲句。', '乙句；', '丙句！', '丁句？', '戊句']);
    for (const s of out) expect(text.slice(s.start, s.end)).toBe(s.text);
    expect(out[4]).toEqual({ text: '戊句', start: 15, end: 17 });
  });

  it('splits at half-width ; ! ? too', () => {
    expect(sentencesOf('a;b!c?d').map((s) => s.text)).toEqual(['a;', 'b!', 'c?', 'd']);
  });

  it('keeps a closing quotation mark with the sentence it ends', () => {
    expect(sentencesOf('他说：“可以。”然后离开。').map((s) => s.text)).toEqual(['他说：“可以。”', '然后离开。']);
    expect(sentencesOf('称为「试点。」其余照旧。').map((s) => s.text)).toEqual(['称为「试点。」', '其余照旧。']);
  });

  it('gives nothing for empty or blank text', () => {
    expect(sentencesOf('')).toEqual([]);
    expect(sentencesOf('\n \n\u3000')).toEqual([]);
  });
});

describe('stripMarker', () => {
  it('removes a leading article or item number of any style', () => {
    for (const s of ['第三条 某事', '一、某事', '（一）某事', '(2)某事', '3.某事', '4．某事', '5、某事', '第十二条\u3000某事']) expect(stripMarker(s), s).toBe('某事');
  });

  it('leaves other text alone', () => {
    expect(stripMarker('某事第三条')).toBe('某事第三条');
    expect(stripMarker('2021年起')).toBe('2021年起');
    expect(stripMarker('')).toBe('');
  });
});
