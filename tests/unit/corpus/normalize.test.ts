import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decode } from '../../../src/corpus/decode.ts';
import { BinaryFileError, EmptyFileError, FileTooLargeError } from '../../../src/corpus/errors.ts';
import { normalise } from '../../../src/corpus/normalize.ts';
import { fixture, squash } from '../../helpers.ts';

const read = (name: string) => readFileSync(fixture(name), 'utf8');

describe('normalise', () => {
  it('repairs a PDF regulation flattened to one line', () => {
    const source = read('flattened-regulation-excerpt.txt');
    const n = normalise(source);
    expect(n.layout).toBe('flattened');
    // page numbers inside running text go, quantities stay
    expect(n.text).toContain('良好的社会舆论环境');
    expect(n.text).not.toMatch(/良好的\s*6/);
    // words split by spaces are joined, spaced numbers too
    expect(n.text).toContain('重要组成部分');
    expect(n.text).toContain('本条例所称私营企业');
    // the chapter title displaced behind 第七条 goes back to its chapter
    expect(n.text).toContain('第二章 支持与鼓励\n第七条 市和区人民政府');
    expect(n.text).toContain('第一章 总则\n第一条 为了促进');
    // articles and their paragraphs are separate paragraphs
    expect(n.text).toContain('适用本条例。\n本条例所称私营企业');
  });

  it('joins hard-wrapped lines into paragraphs but keeps real paragraph boundaries', () => {
    const n = normalise(read('wrapped-regulation-excerpt.txt'));
    expect(n.layout).toBe('wrapped');
    const paras = n.text.split('\n');
    expect(paras[0]).toBe('第一章　总则');
    expect(paras[1]).toMatch(/^第一条　为了高标准、高质量建设中国（北京）自由贸易试验区，促进首都经济高质量发展，.*制定本条例。$/);
    // 第三条 has two paragraphs (款)
    const third = paras.findIndex((p) => p.startsWith('第三条'));
    expect(paras[third + 1]).toMatch(/^自贸试验区应当对标国际先进规则/);
  });

  it('maps every clean character back to the same character in the source', () => {
    for (const name of ['flattened-regulation-excerpt.txt', 'wrapped-regulation-excerpt.txt', 'flattened-notice-excerpt.txt']) {
      const source = read(name);
      const n = normalise(source);
      expect(n.offs).toHaveLength(n.text.length);
      for (let i = 0; i < n.text.length; i++) {
        if (n.text[i] === '\n' || /\s/.test(n.text[i]!)) continue;
        expect(source[n.offs[i]!]).toBe(n.text[i]);
      }
    }
  });

  it('matches spaced numbers and dates written without spaces', () => {
    const n = normalise(read('flattened-notice-excerpt.txt'));
    expect(n.text).toContain('2021年3月18日');
    expect(n.text).toContain('月销售额10万元提高到15万元');
    expect(n.text).toContain('不到100万元的部分');
    // the page number "15" between two lines of a measure is gone, the date after it stays
    expect(n.text).toContain('信用贷款支持延续至2021年3月31日');
  });

  it('loses no text other than whitespace, page numbers and dot leaders', () => {
    const source = read('wrapped-regulation-excerpt.txt');
    expect(squash(normalise(source).text)).toBe(squash(source));
  });
});

describe('decode', () => {
  const gbk = Buffer.from('d6d0b9fab1b1bea9d7d4d3c9c3b3d2d7cad4d1e9c7f8', 'hex'); // 中国北京自由贸易试验区 in GBK

  it('decodes UTF-8 with a BOM and GBK', () => {
    expect(decode(Buffer.from('\ufeff第一条　测试', 'utf8'), 'a.txt').text).toBe('第一条　测试');
    const d = decode(gbk, 'gbk.txt');
    expect(d.encoding).toBe('gb18030');
    expect(d.text).toBe('中国北京自由贸易试验区');
  });

  it('refuses empty, binary and oversized files with typed errors', () => {
    expect(() => decode(new Uint8Array(), 'e.txt')).toThrow(EmptyFileError);
    expect(() => decode(Buffer.from('  \n\n  '), 'e.txt')).toThrow(EmptyFileError);
    expect(() => decode(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1, 2, 3]), 'b.txt')).toThrow(BinaryFileError);
    expect(() => decode(Buffer.alloc(10 * 1024 * 1024, 0x41), 'big.txt')).toThrow(FileTooLargeError);
  });
});
