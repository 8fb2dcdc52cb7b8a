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
