import { describe, expect, it } from 'vitest';
import { segment } from '../../../src/parse/segment.ts';

/** Each document as [title as written, body], for readable expectations. */
function docs(text: string, toc?: { entries: string[]; end: number }) {
  const s = segment(text, toc);
  return { s, docs: s.documents.map((d) => [text.slice(d.start, d.titleEnd), text.slice(d.titleEnd, d.end).trim()]), compiler: s.compiler.map((p) => p.text) };
}

describe('segment: one document', () => {
  it('takes the title line by its shape and the rest as the body', () => {
    const { s, docs: d } = docs('某某区关于促进某事的若干措施\n为了某事，制定本措施。\n一、支持创新\n给予补贴。');
    expect(d).toEqual([['某某区关于促进某事的若干措施', '为了某事，制定本措施。\n一、支持创新\n给予补贴。']]);
    expect(s.documents[0]!.titles).toEqual(['某某区关于促进某事的若干措施']);
    expect(s.compiler).toEqual([]);
  });

  it('joins a title wrapped over two lines', () => {
    const { s } = docs('某某区关于促进中小企业\n创新发展的若干措施\n为了某事，制定本措施。\n一、支持创新');
    expect(s.documents).toHaveLength(1);
    expect(s.documents[0]!.titles).toEqual(['某某区关于促进中小企业创新发展的若干措施']);
  });

  it('keeps a notice and the policy it issues as one document with both titles', () => {
    const { s } = docs('某某局关于印发《某某区小微企业房租补贴管理办法》的通知\n各区：现印发给你们。\n某某区小微企业房租补贴管理办法\n第一条 为了某事。');
    expect(s.documents).toHaveLength(1);
    expect(s.documents[0]!.titles).toEqual(['某某局关于印发《某某区小微企业房租补贴管理办法》的通知', '某某区小微企业房租补贴管理办法']);
  });

  it('makes the whole text one untitled document when no line is shaped like a title', () => {
    // a title-like line ending in a colon, or with nothing after it, is not a title
    expect(docs('某某区关于促进某事的若干措施：\n正文。').s.documents).toEqual([{ titles: [], start: 0, titleEnd: 0, end: 19 }]);
    expect(docs('某某区关于促进某事的若干措施').s.documents[0]!.titles).toEqual([]);
    expect(docs('只有一段正文，没有标题。').docs).toEqual([['', '只有一段正文，没有标题。']]);
  });

  it('gives empty text one empty document and no compiler text', () => {
    expect(segment('')).toEqual({ documents: [{ titles: [], start: 0, titleEnd: 0, end: 0 }], compiler: [], unplaced: [] });
  });
});

describe('segment: compilations', () => {
  it('splits documents that run one after another', () => {
    const { docs: d } = docs('某某区关于促进某事的若干措施\n为了某事，制定本措施。\n某某局关于某项工作的管理办法\n第一条 为了某事。\n第二条 适用。');
    expect(d).toEqual([
      ['某某区关于促进某事的若干措施', '为了某事，制定本措施。'],
      ['某某局关于某项工作的管理办法', '第一条 为了某事。\n第二条 适用。'],
    ]);
  });

  it('keeps part headings and their introductions apart as compiler text', () => {
    const { docs: d, compiler } = docs(
      '第一部分 综合政策\n本部分收录综合政策。\n某某区关于促进某事的若干措施\n一、支持创新\n给予补贴。\n第二部分 专项政策\n本部分收录专项政策。\n某某局关于某项工作的管理办法\n第一条 为了某事。',
    );
    expect(d).toEqual([
      ['某某区关于促进某事的若干措施', '一、支持创新\n给予补贴。'],
      ['某某局关于某项工作的管理办法', '第一条 为了某事。'],
    ]);
    expect(compiler).toEqual(['第一部分 综合政策', '本部分收录综合政策。', '第二部分 专项政策', '本部分收录专项政策。']);
  });

  it('keeps numbered section headings before a title, and the closing one, apart', () => {
    const { docs: d, compiler } = docs(
      '某某区关于促进某事的若干措施\n1.科技领域\n某某局关于某项工作的管理办法\n第一条 为了某事。\n2.金融领域\n某某局关于金融工作的实施意见\n一、总体要求\n要求。\n3.汇总说明\n以上政策汇总。',
    );
    expect(d.map(([t]) => t)).toEqual(['某某区关于促进某事的若干措施', '某某局关于某项工作的管理办法', '某某局关于金融工作的实施意见']);
    expect(d[2]![1]).toBe('一、总体要求\n要求。');
    expect(compiler).toEqual(['1.科技领域', '2.金融领域', '3.汇总说明', '以上政策汇总。']);
  });

  it('locates the titles a table of contents lists, even wrapped, and reports those not found', () => {
    const toc = '目录\n某某区关于促进某事的若干措施\n某某局关于某项工作的管理办法\n不存在的某某规定\n';
    const body = '某某区关于促进某事的若干措施\n一、支持创新\n给予补贴。\n某某局关于某项工作的\n管理办法\n第一条 为了某事。';
    const entries = ['某某区关于促进某事的若干措施', '某某局关于某项工作的管理办法', '不存在的某某规定'];
    const { s, docs: d, compiler } = docs(toc + body, { entries, end: toc.length });
    expect(d).toEqual([
      ['某某区关于促进某事的若干措施', '一、支持创新\n给予补贴。'],
      ['某某局关于某项工作的\n管理办法', '第一条 为了某事。'],
    ]);
    expect(s.documents[1]!.titles).toEqual(['某某局关于某项工作的管理办法']);
    expect(s.unplaced).toEqual(['不存在的某某规定']);
    // the contents themselves are compiler text
    expect(compiler).toEqual(['目录', ...entries]);
  });
});
