import { describe, expect, it } from 'vitest';
import { matchMarker, parseNumber, startsStructure } from '../../../src/text/markers.ts';

const kindOf = (s: string) => matchMarker(s)?.kind ?? null;

describe('matchMarker', () => {
  it('reads articles in Chinese and Arabic numerals, with the whitespace after them', () => {
    expect(matchMarker('第十五条 本市鼓励某事。')).toEqual({ kind: 'tiao', text: '第十五条', n: 15, length: 5 });
    expect(matchMarker('第一百零三条')).toEqual({ kind: 'tiao', text: '第一百零三条', n: 103, length: 6 });
    expect(matchMarker('第3条 某事')).toMatchObject({ kind: 'tiao', n: 3 });
    // full-width spaces count as whitespace too
    expect(matchMarker('第八条\u3000\u3000某事')).toMatchObject({ text: '第八条', length: 5 });
  });

  it('reads an inserted article 第N条之一 as its own marker after 第N条', () => {
    expect(matchMarker('第十五条之一 某事')).toEqual({ kind: 'tiao', text: '第十五条之一', n: 15, sub: 1, length: 7 });
    expect(matchMarker('第二条之十二')).toMatchObject({ n: 2, sub: 12 });
    // "之规定" is running text, not an inserted article
    expect(matchMarker('第十五条之规定执行')).toEqual({ kind: 'tiao', text: '第十五条', n: 15, length: 4 });
  });

  it('does not take 条例, 款 or a heading word run into a sentence for a marker', () => {
    expect(matchMarker('第十五条例外')).toBeNull();
    expect(matchMarker('第三款')).toBeNull();
    expect(matchMarker('第二章的规定适用于此')).toBeNull();
    expect(matchMarker('第二章，总则')).toBeNull();
  });

  it('reads 编, 章, 节 and 部分 headings', () => {
    expect(matchMarker('第一编 总则')).toMatchObject({ kind: 'bian', n: 1 });
    expect(matchMarker('第二章 投资开放')).toMatchObject({ kind: 'zhang', n: 2, length: 4 });
    expect(matchMarker('第一节　一般规定')).toMatchObject({ kind: 'jie', n: 1, length: 4 });
    expect(matchMarker('第二部分 重点任务')).toMatchObject({ kind: 'bufen', n: 2 });
    // 第X编 and 第X节 need a space or the end of the line after them
    expect(matchMarker('第一编写组')).toBeNull();
  });

  it('reads every level of a nested list, in full-width and half-width punctuation', () => {
    expect(matchMarker('十二、其他事项')).toEqual({ kind: 'cn', text: '十二、', n: 12, length: 3 });
    expect(matchMarker('一.总体要求')).toMatchObject({ kind: 'cn', n: 1 });
    expect(matchMarker('（一）加强统筹')).toMatchObject({ kind: 'cnParen', text: '（一）', n: 1 });
    expect(matchMarker('(二)加强统筹')).toMatchObject({ kind: 'cnParen', text: '(二)', n: 2 });
    expect(matchMarker('1.开展试点')).toMatchObject({ kind: 'num', text: '1.', n: 1 });
    expect(matchMarker('2．开展试点')).toMatchObject({ kind: 'num', text: '2．', n: 2 });
    expect(matchMarker('12、落实措施')).toMatchObject({ kind: 'numDun', n: 12 });
    expect(matchMarker('（3）第三项')).toMatchObject({ kind: 'numParen', n: 3 });
    expect(matchMarker('(4)第四项')).toMatchObject({ kind: 'numParen', n: 4 });
    expect(matchMarker('①第一')).toEqual({ kind: 'circled', text: '①', n: 1, length: 1 });
    expect(matchMarker('⑳第二十')).toMatchObject({ kind: 'circled', n: 20 });
  });

  it('does not read a decimal, a three-digit number, an indented line or plain text as a marker', () => {
    expect(kindOf('1.5万元')).toBeNull();
    expect(kindOf('一、2')).toBeNull();
    expect(kindOf('100.开展')).toBeNull();
    expect(kindOf('  一、前面有空格')).toBeNull();
    expect(kindOf('一是加强统筹')).toBeNull();
    expect(kindOf('')).toBeNull();
  });
});

describe('parseNumber', () => {
  it('reads Chinese numerals with units and zeros, and Arabic digits', () => {
    expect(parseNumber('二十八')).toBe(28);
    expect(parseNumber('十')).toBe(10);
    expect(parseNumber('十五')).toBe(15);
    expect(parseNumber('一百零三')).toBe(103);
    expect(parseNumber('两千')).toBe(2000);
    expect(parseNumber('〇')).toBe(0);
    expect(parseNumber('15')).toBe(15);
    expect(parseNumber('')).toBe(0);
  });
});

describe('startsStructure', () => {
  it('is true for a marker with text after it, and for "1." only when text follows', () => {
    expect(startsStructure('一、')).toBe(true);
    expect(startsStructure('第三条 某事')).toBe(true);
    expect(startsStructure('1.')).toBe(false);
    expect(startsStructure('1.开')).toBe(false);
    expect(startsStructure('1.开展')).toBe(true);
    expect(startsStructure('正文继续')).toBe(false);
  });
});
