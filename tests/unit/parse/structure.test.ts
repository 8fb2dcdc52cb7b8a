import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalise } from '../../../src/corpus/normalize.ts';
import { chunksOf, parseFile } from '../../../src/ingest/ingest.ts';
import { extractMeta } from '../../../src/parse/metadata.ts';
import { parseStructure, type Unit } from '../../../src/parse/structure.ts';
import { fixture, squash } from '../../helpers.ts';

/** Parses text whose first `titleLines` lines are the title, as segment() would hand it over. */
function parse(lines: string[], titleLines = 1) {
  const text = lines.join('\n');
  const titleEnd = lines.slice(0, titleLines).join('\n').length;
  const titles = titleLines ? [lines.slice(0, titleLines).join('')] : [];
  return { text, s: parseStructure(text, titles, titleEnd, text.length, 0) };
}
const numbers = (units: Unit[]) => units.map((u) => u.number);
const textOf = (u: Unit) => u.paras.map((p) => p.text).join('\n');

describe('parseStructure: header (标题)', () => {
  it('holds the title lines and the 文号 under them; the 序言 starts after the 文号', () => {
    const { text, s } = parse(['北京市某某局关于做好某项工作的', '通知', '京某发〔2021〕12号', '各区某某局：', '现就有关事项通知如下：', '一、总体要求', '要求如下。'], 2);
    const [header, preamble] = s.units;
    expect(header).toMatchObject({ number: '标题', key: 'hdr', role: 'header', headingPath: [] });
    expect(textOf(header!)).toBe('北京市某某局关于做好某项工作的\n通知\n京某发〔2021〕12号');
    expect(header!.paras[0]!.start).toBe(0);
    expect(text.slice(header!.paras[0]!.start, header!.paras.at(-1)!.end)).toBe(textOf(header!));
    expect(preamble).toMatchObject({ number: '序言', role: 'body' });
    expect(textOf(preamble!)).toBe('各区某某局：\n现就有关事项通知如下：');
    expect(s.kind).toBe('structured');
  });

  it('takes a 文号 run together with the salutation, and only one right under the title', () => {
    const glued = parse(['某某局关于某事的通知', '京某发〔2021〕3号各区人民政府：现将有关事项通知如下。', '一、要求', '要求如下。']).s;
    expect(textOf(glued.units[0]!)).toBe('某某局关于某事的通知\n京某发〔2021〕3号');
    expect(textOf(glued.units[1]!)).toBe('各区人民政府：现将有关事项通知如下。');
    // a 文号 further down is a cited document's, and stays in the body
    const cited = parse(['某某局关于某事的通知', '各区人民政府：', '京某发〔2020〕9号文件继续执行。', '一、要求', '要求如下。']).s;
    expect(textOf(cited.units[0]!)).toBe('某某局关于某事的通知');
    expect(cited.units.filter((u) => u.role === 'body').map(textOf).join('\n')).toContain('京某发〔2020〕9号');
  });

  it('holds only the 文号 when the title is not in the text, and is absent when neither is', () => {
    const noTitle = parse(['京某发〔2021〕3号', '各区人民政府：', '一、要求', '要求如下。'], 0).s;
    expect(noTitle.units[0]).toMatchObject({ number: '标题' });
    expect(textOf(noTitle.units[0]!)).toBe('京某发〔2021〕3号');
    const bare = parse(['第一条 为了某事，制定本规定。', '第二条 本规定适用于本市。', '第三条 本规定自发布之日起施行。'], 0).s;
    expect(numbers(bare.units)).toEqual(['第一条', '第二条', '第三条']);
  });

  it('is not made for a document with a title and no body, nor is a 落款', () => {
    expect(parse(['关于做好某项工作的通告']).s.units).toEqual([]);
    expect(parse(['关于做好某项工作的通告', '京某发〔2021〕3号', '北京市某某局', '2021年3月1日']).s.units).toEqual([]);
  });
});

describe('parseStructure: signature blocks (落款)', () => {
  it('keeps several issuing bodies and the date, verbatim, last in reading order', () => {
    const { s } = parse(['关于某事的意见', '为了某事，提出如下意见。', '一、目标', '目标如下。', '北京市人力资源和社会保障局', '北京市总工会', '2021年12月23日']);
    expect(numbers(s.units)).toEqual(['标题', '序言', '一、目标', '落款']);
    expect(s.units.at(-1)).toMatchObject({ key: 'sig', role: 'signature' });
    expect(textOf(s.units.at(-1)!)).toBe('北京市人力资源和社会保障局\n北京市总工会\n2021年12月23日');
    expect(s.units.filter((u) => u.role === 'body').map(textOf).join('\n')).not.toMatch(/总工会|2021年12月23日/);
  });

  it('makes one unit per block, each where it stands: a notice\'s 落款 before the policy it issues', () => {
    const { s } = parse([
      '北京市某某局关于印发《某某管理办法》的通知',
      '京某发〔2021〕5号',
      '各区：现将《某某管理办法》印发给你们，请认真贯彻执行。',
      '北京市某某局2021年2月5日',
      '某某管理办法',
      '第一条 为了某事，制定本办法。',
      '第二条 本办法适用于本市。',
      '第三条 本办法由某某局负责解释。',
      '北京市某某局',
      '2021年2月6日',
    ]);
    expect(s.attachment?.title).toBe('某某管理办法');
    expect(s.units.map((u) => `${u.number}:${u.key}`)).toEqual(['标题:hdr', '序言:pre', '落款:sig', '第一条:a1', '第二条:a2', '第三条:a3', '落款:sig2']);
    expect(s.units.filter((u) => u.role === 'signature').map(textOf)).toEqual(['北京市某某局2021年2月5日', '北京市某某局\n2021年2月6日']);
    // starts increase with the ordinal
    const starts = s.units.map((u) => u.paras[0]!.start);
    expect([...starts].sort((a, b) => a - b)).toEqual(starts);
  });

  it('splits a date run on into an attachment line or the issued policy in a PDF that lost its line breaks', () => {
    const attached = parse(['关于转发某某政策的通知', '一、要求', '请遵照执行。特此通知。', '北京市财政局北京市税务局2021年1月22日附件:某某政策的通知']).s;
    expect(textOf(attached.units.at(-1)!)).toBe('北京市财政局北京市税务局2021年1月22日');
    expect(textOf(attached.units.at(-2)!)).toBe('一、要求\n请遵照执行。特此通知。\n附件:某某政策的通知');
    const issued = parse(['北京市某某局关于印发落实《某某措施》实施细则的通知', '现将实施细则印发给你们。', '北京市某某局2021年3月24日北京市某某局落实《某某措施》实施细则为了落实，制定本细则。', '一、要求', '要求如下。']).s;
    expect(issued.units.filter((u) => u.role === 'signature').map(textOf)).toEqual(['北京市某某局2021年3月24日']);
    // a date in running text is not a signature
    const prose = parse(['关于某事的通知', '北京市人民政府2021年3月1日印发的文件继续执行。', '一、要求', '要求如下。']).s;
    expect(prose.units.some((u) => u.role === 'signature')).toBe(false);
  });

  it('takes a long list of issuing bodies run together before the date', () => {
    const names = '北京市商务局(北京市政府口岸办)中华人民共和国北京海关北京市交通委员会国家税务总局北京市税务局北京市市场监督管理局';
    const { s } = parse(['关于某事的公告', '现公告如下：', '一、措施', '措施如下。', `${names}2021年2月4日`]);
    expect(textOf(s.units.at(-1)!)).toBe(`${names}2021年2月4日`);
    // metadata keeps reading only the layouts it always read
    expect(s.signature).toEqual([]);
  });

  it('hands metadata the signature lines in the order it has always read them', () => {
    const lines = ['关于某事的意见', '为了某事，提出如下意见。', '一、目标', '目标如下。', '北京市甲局', '北京市乙委员会', '2021年12月23日'];
    const { text, s } = parse(lines);
    expect(s.signature.map((p) => p.text)).toEqual(['2021年12月23日', '北京市乙委员会', '北京市甲局']);
    const signatures = s.units.filter((u) => u.role === 'signature').map((u) => u.paras);
    const m = extractMeta({ text, titles: ['关于某事的意见'], titleStart: 0, bodyStart: lines[0]!.length, end: text.length, signatures });
    expect(m.issuers.map((f) => f.text)).toEqual(['北京市甲局', '北京市乙委员会']);
    expect(m.issueDate).toMatchObject({ date: '2021-12-23', text: '2021年12月23日' });
  });
});

describe('parseFile: header and 落款 clauses', () => {
  it('cites the flattened notice excerpt\'s title and 文号 verbatim, with source offsets', () => {
    // The excerpt is the opening of the first-quarter compilation, whose contents list both titles.
    const source = readFileSync(fixture('flattened-notice-excerpt.txt'), 'utf8');
    const n = normalise(source);
    const notice = '北京市人民政府办公厅印发《关于支持中小微企业和个体工商户做好常态化疫情防控加快恢复发展的若干措施》的通知';
    const titles = [notice, '关于支持中小微企业和个体工商户做好常态化疫情防控加快恢复发展的若干措施'];
    const titleEnd = n.text.indexOf('的通知') + 3;
    const s = parseStructure(n.text, titles, titleEnd, n.text.length, 0);
    const [header, preamble] = s.units;
    expect(numbers(s.units).slice(0, 3)).toEqual(['标题', '序言', '一、降低企业税费负担']);
    expect(header!.paras[0]!.start).toBe(0);
    expect(textOf(header!)).toBe(`${notice}\n京政办发〔2021〕4号`);
    expect(textOf(preamble!).startsWith('各区人民政府,市政府各委、办、局,各市属机构:')).toBe(true);
    expect(s.units.filter((u) => u.role === 'body').map(textOf).join('\n')).not.toContain('京政办发〔2021〕4号');
    const src = (u: Unit) => source.slice(n.offs[u.paras[0]!.start]!, n.offs[u.paras.at(-1)!.end - 1]! + 1);
    expect(src(header!)).toMatch(/的通知 京政办发〔2021〕4 号$/);
    expect(squash(src(header!))).toBe(squash(textOf(header!)));
    // (In this excerpt the page number "14" stays glued to the signature date, so it is not read as a 落款;
    // the whole compilation, where the page number is removed, is checked in tests/integration/corpus.test.ts.)
    const m = extractMeta({ text: n.text, titles, titleStart: 0, bodyStart: titleEnd, end: n.text.length, signatures: [] });
    expect(m.docNumber?.text).toBe('京政办发〔2021〕4号');
    expect(n.text.slice(m.docNumber!.start, m.docNumber!.end).replace(/\s/g, '')).toBe('京政办发〔2021〕4号');
    expect(m.issuers.map((f) => [f.text, n.text.slice(f.start, f.end)])).toEqual([['北京市人民政府办公厅', '北京市人民政府办公厅']]);
  });

  it('numbers, labels and chunks the header and 落款 clauses, and counts only body clauses', () => {
    const text = '关于某事的通知\n京某发〔2021〕7号\n各区：现将有关事项通知如下。\n一、要求\n要求如下。\n北京市某某局\n2021年5月6日\n';
    const f = parseFile('notice.txt', Buffer.from(text), {});
    const [doc] = f.documents;
    expect(f.clauses.map((c) => [c.number, c.label, c.ordinal])).toEqual([
      ['标题', '《关于某事的通知》标题', 0],
      ['序言', '《关于某事的通知》序言', 1],
      ['一、要求', '《关于某事的通知》一、要求', 2],
      ['落款', '《关于某事的通知》落款', 3],
    ]);
    const [header, , , sig] = f.clauses;
    expect(header).toMatchObject({ text: '关于某事的通知\n京某发〔2021〕7号', start: 0, end: text.indexOf('号') + 1, prevId: undefined, nextId: f.clauses[1]!.id });
    expect(header!.id).toMatch(new RegExp(`^${doc!.id}-hdr-`));
    expect(sig).toMatchObject({ text: '北京市某某局\n2021年5月6日', start: text.indexOf('北京市某某局'), end: text.indexOf('日') + 1, nextId: undefined });
    expect(sig!.id).toMatch(new RegExp(`^${doc!.id}-sig-`));
    for (const c of f.clauses) expect(text.slice(c.sourceStart, c.sourceEnd)).toBe(text.slice(c.start, c.end));
    expect(doc).toMatchObject({ clauseCount: 2, docNumber: '京某发〔2021〕7号', issuer: '北京市某某局', issueDate: '2021-05-06' });
    const chunks = chunksOf(f);
    for (const u of [header!, sig!]) expect(chunks.filter((c) => c.clauseId === u.id)).toMatchObject([{ id: u.id, label: u.label, text: u.text }]);
  });

  it('labels header and 落款 of a plain document by their name', () => {
    const f = parseFile('plain.txt', Buffer.from('关于某事的说明\n这是第一段文字，介绍背景。\n北京市某某局\n2021年5月6日\n'), {});
    expect(f.clauses.map((c) => c.label)).toEqual(['《关于某事的说明》标题', '《关于某事的说明》', '《关于某事的说明》落款']);
    expect(f.documents[0]!.clauseCount).toBe(1);
  });
});

const brief = (units: Unit[]) => units.filter((u) => u.role === 'body').map((u) => [u.number, u.key, u.pathNumbers.join('')]);

describe('parseStructure: regulations (第X条)', () => {
  const lines = [
    '某某条例',
    '第一章 总则',
    '第一条 为了某事，制定本条例。',
    '第二条 本条例适用于本市。',
    '第二章 管理',
    '第一节 一般规定',
    '第三条 某事。',
    '依照本条例',
    '第一条规定执行。',
    '第三条之一 新增的条文。',
    '第二节 特别规定',
    '第四条 另一事：',
    '（一）第一项；',
    '（二）第二项。',
  ];

  it('gives one unit per article under its 章 and 节, with 款 and 项 inside it', () => {
    const { s } = parse(lines);
    expect(s.kind).toBe('regulation');
    expect(brief(s.units)).toEqual([
      ['第一条', 'a1', '第一章'],
      ['第二条', 'a2', '第一章'],
      ['第三条', 'a3', '第二章第一节'],
      ['第三条之一', 'a3.1', '第二章第一节'],
      ['第四条', 'a4', '第二章第二节'],
    ]);
    const a4 = s.units.find((u) => u.key === 'a4')!;
    expect(a4.headingPath).toEqual(['第二章 管理', '第二节 特别规定']);
    expect(textOf(a4)).toBe('第四条 另一事：\n（一）第一项；\n（二）第二项。');
    expect(a4.paraWord).toBe('款');
  });

  it('keeps a line that starts with an earlier article number (a wrapped cross-reference) in its article', () => {
    const a3 = parse(lines).s.units.find((u) => u.key === 'a3')!;
    expect(textOf(a3)).toBe('第三条 某事。\n依照本条例\n第一条规定执行。');
  });

  it('makes an inserted 第N条之一 its own article, not a paragraph of 第N条', () => {
    const { s } = parse(lines);
    expect(textOf(s.units.find((u) => u.number === '第三条之一')!)).toBe('第三条之一 新增的条文。');
    expect(textOf(s.units.find((u) => u.key === 'a3')!)).not.toContain('之一');
  });

  it('needs three articles to read as a regulation', () => {
    expect(parse(['某某规定', '第一条 甲。', '第二条 乙。']).s.kind).not.toBe('regulation');
  });
});

describe('parseStructure: plans and measures (一、（一）1.)', () => {
  it('gives one unit per smallest item under the headings of its parents', () => {
    const { s } = parse(['某某行动方案', '一、总体要求', '（一）指导思想', '坚持某原则。', '（二）工作目标', '1.到年底完成某事。', '2.建立某机制。', '二、重点任务', '（一）加强统筹', '做好某事。']);
    expect(s.kind).toBe('structured');
    expect(brief(s.units)).toEqual([
      ['（一）指导思想', '1.1', '一、'],
      ['1.到年底完成某事', '1.2.1', '一、（二）'],
      ['2.建立某机制', '1.2.2', '一、（二）'],
      ['（一）加强统筹', '2.1', '二、'],
    ]);
    const item = s.units.find((u) => u.key === '1.2.2')!;
    expect(item.headingPath).toEqual(['一、总体要求', '（二）工作目标']);
    expect(item.paraWord).toBe('段');
    // a heading-only parent is no unit of its own; its text before the children would be
    expect(s.units.some((u) => u.key === '1' || u.key === '1.2')).toBe(false);
  });

  it('continues item numbers across sections ("二、" then "3.")', () => {
    const { s } = parse(['某某措施', '一、支持创新', '1.给予补贴。', '2.给予奖励。', '二、优化服务', '3.简化流程。', '4.压缩时限。']);
    expect(brief(s.units)).toEqual([
      ['1.给予补贴', '1.1', '一、'],
      ['2.给予奖励', '1.2', '一、'],
      ['3.简化流程', '2.3', '二、'],
      ['4.压缩时限', '2.4', '二、'],
    ]);
  });

  it('keeps a short list introduced by a colon in one unit', () => {
    const { s } = parse(['某某措施', '一、支持以下事项：', '（一）甲；', '（二）乙。', '二、其他']);
    expect(brief(s.units)).toEqual([
      ['一、支持以下事项：', '1', ''],
      ['二、其他', '2', ''],
    ]);
    expect(textOf(s.units[1]!)).toBe('一、支持以下事项：\n（一）甲；\n（二）乙。');
  });

  it('keeps wrapped lines and an out-of-sequence number in the item they belong to', () => {
    const { s } = parse(['某某措施', '一、支持创新', '给予补贴，具体标准', '另行制定。', '三、跳号的一行']);
    expect(brief(s.units)).toEqual([['一、支持创新', '1', '']]);
    expect(textOf(s.units[1]!)).toBe('一、支持创新\n给予补贴，具体标准\n另行制定。\n三、跳号的一行');
  });

  it('takes a long item\'s heading from its first short sentence, in half-width punctuation too', () => {
    const { s } = parse(['某某措施', '一、支持创新发展。企业可以申请补贴，补贴标准由某局制定并公布，具体办法另行通知。', '(一)加强服务保障']);
    expect(s.units.map((u) => u.number)).toEqual(['标题', '一、支持创新发展', '(一)加强服务保障']);
  });

  it('reads text without markers as a plain document with one 序言 unit', () => {
    const { s } = parse(['某某说明', '这是第一段。', '这是第二段。']);
    expect(s.kind).toBe('plain');
    expect(brief(s.units)).toEqual([['序言', 'pre', '']]);
  });

  it('gives no units for an empty body', () => {
    expect(parseStructure('', [], 0, 0).units).toEqual([]);
  });
});
