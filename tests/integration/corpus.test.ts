import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ingestCorpus, type Corpus } from '../../src/ingest/ingest.ts';
import { articleOf } from '../../src/retrieve/reference.ts';
import { CORPUS, SHARED, squash } from '../helpers.ts';
// The eval scorer's own definition of "a text holds a span".
import { coverage } from '../../../shared/eval/score.mjs';

let corpus: Corpus;
beforeAll(async () => {
  corpus = await ingestCorpus(CORPUS);
});

const file = (part: string) => corpus.files.find((f) => f.file.includes(part))!;
const docByTitle = (title: string) => corpus.documents.find((d) => d.titles.includes(title))!;
const clausesOf = (docId: string) => corpus.clauses.filter((c) => c.docId === docId);
/** The policy's own clauses, without its header (标题) and signature blocks (落款). */
const bodyOf = (docId: string) => clausesOf(docId).filter((c) => c.number !== '标题' && c.number !== '落款');
const unitsOf = (docId: string, number: '标题' | '落款') => clausesOf(docId).filter((c) => c.number === number);

describe('the FTZ regulation (004)', () => {
  it('is one document of 11 chapters and exactly 68 articles, each one clause under its chapter', () => {
    const f = file('ftz-regulations');
    expect(f.documents).toHaveLength(1);
    const doc = f.documents[0]!;
    expect(doc.title).toBe('中国（北京）自由贸易试验区条例');
    const clauses = clausesOf(doc.id);
    // Its text carries no title and no signature (the title comes from the manifest), so no 标题 or 落款 unit.
    expect(clauses.map(articleOf)).toEqual(Array.from({ length: 68 }, (_, i) => i + 1));
    expect(clauses.map((c) => c.ordinal)).toEqual(Array.from({ length: 68 }, (_, i) => i));
    expect(doc.clauseCount).toBe(68);
    const chapters = new Set(clauses.map((c) => c.headingPath[0]));
    expect(chapters.size).toBe(11);
    expect(clauses.every((c) => c.headingPath.length === 1 && /^第[一二三四五六七八九十]+章 /.test(c.headingPath[0]!))).toBe(true);
    expect(clauses.find((c) => articleOf(c) === 15)!.label).toBe('《中国（北京）自由贸易试验区条例》第三章 第十五条');
  });

  it('quotes 第六十八条 faithfully to the source', async () => {
    const f = file('ftz-regulations');
    const last = clausesOf(f.documents[0]!.id).at(-1)!;
    expect(last.text).toBe('第六十八条　本条例自2022年5月1日起施行。');
    const source = await readFile(path.join(CORPUS, f.file), 'utf8');
    const original = source.slice(last.sourceStart, last.sourceEnd);
    expect(original).toContain('本条例自 2022 年 5 月 1 日起施行。');
    expect(squash(original)).toBe(squash(last.text));
    expect(f.documents[0]!.validFrom).toBe('2022-05-01');
  });
});

describe('the first-quarter compilation (001)', () => {
  it('finds the 26 documents of its table of contents, each with its own title', () => {
    const f = file('2021q1');
    expect(f.documents).toHaveLength(26);
    expect(new Set(f.documents.map((d) => d.titles[0])).size).toBe(26);
    expect(f.documents.map((d) => d.titles[0])).toContain('北京市人民政府关于印发《北京市促进总部企业高质量发展的相关规定》的通知');
  });

  it('records a notice and the policy it issues as one document with both titles', () => {
    const d = docByTitle('北京市人民政府办公厅印发《关于支持中小微企业和个体工商户做好常态化疫情防控加快恢复发展的若干措施》的通知');
    expect(d.titles).toContain('关于支持中小微企业和个体工商户做好常态化疫情防控加快恢复发展的若干措施');
    expect(d.title).toBe('关于支持中小微企业和个体工商户做好常态化疫情防控加快恢复发展的若干措施');
    expect(d.docNumber).toBe('京政办发〔2021〕4号');
    expect(d.issuer).toBe('北京市人民政府办公厅');
    expect(d.issueDate).toBe('2021-03-18');
    expect(clausesOf(d.id).map((c) => c.label)).toContain('《关于支持中小微企业和个体工商户做好常态化疫情防控加快恢复发展的若干措施》一、降低企业税费负担');
  });

  it('parses 《北京市促进私营个体经济发展条例》 into 43 articles, with 支持与鼓励 as the title of 第二章', () => {
    const d = docByTitle('北京市促进私营个体经济发展条例');
    const clauses = bodyOf(d.id);
    expect(clauses.map(articleOf)).toEqual(Array.from({ length: 43 }, (_, i) => i + 1));
    expect(d.clauseCount).toBe(43);
    expect(clausesOf(d.id).map((c) => c.number).slice(0, 2)).toEqual(['标题', '第一条']);
    const seventh = clauses.find((c) => articleOf(c) === 7)!;
    expect(seventh.headingPath).toEqual(['第二章 支持与鼓励']);
    expect(seventh.text).not.toContain('支持与鼓励');
    expect(clauses.find((c) => articleOf(c) === 42)!.headingPath).toEqual(['第六章 附则']);
  });

  it('leaves no page numbers or dot leaders in any clause', () => {
    const text = file('2021q1').clauses.map((c) => c.text).join('\n');
    expect(text).not.toMatch(/[.．·…]{4,}/);
    for (const [artefact, clean] of [
      [/良好的\s*6\s*社会/, '良好的社会舆论环境'],
      [/提供\s*7\s*相应/, '提供相应的服务'],
      [/私营企业和\s*13\s*个体/, '侵犯私营企业和个体工商户'],
      [/6\s*194\s*月/, '2021年6月30日'],
    ] as const) {
      expect(text).not.toMatch(artefact);
      expect(text).toContain(clean);
    }
  });

  it('keeps the compiler text (contents, part introductions) apart from every policy', () => {
    const f = file('2021q1');
    expect(f.compilerText.some((p) => p.startsWith('第一部分 市人大市政府出台政策'))).toBe(true);
    const all = f.clauses.map((c) => c.text).join('\n');
    expect(all).not.toContain('民营经济是推动社会主义市场经济发展的重要力量');
    expect(all).not.toContain('第二部分');
  });
});

describe('the fourth-quarter compilation (003)', () => {
  it('holds 23 documents, with titles wrapped across lines joined', () => {
    const f = file('2021q4');
    expect(f.documents).toHaveLength(23);
    const titles = f.documents.map((d) => d.titles[0]);
    expect(titles).toContain('北京市关于应对疫情防控常态化促进中小企业健康发展若干措施');
    expect(titles).toContain('北京市医疗保障局北京市人力资源和社会保障局关于调整本市基本医疗保险、工伤保险和生育保险药品报销范围有关问题的通知');
    expect(titles).toContain('北京市创新型绿色技术及示范应用项目征集遴选管理细则(试行)');
    expect(f.compilerText[0]).toBe('引言');
  });

  it('never lets a clause or chunk span two documents', () => {
    for (const f of corpus.files) {
      const ranges = new Map(f.documents.map((d) => [d.id, clausesOf(d.id)]));
      for (const [docId, clauses] of ranges) {
        const others = f.documents.filter((d) => d.id !== docId).flatMap((d) => clausesOf(d.id));
        for (const c of clauses) {
          // a clause's paragraphs lie in order inside its own range (titles and signatures cut out)
          const range = f.text.slice(c.start, c.end);
          let at = 0;
          for (const part of c.text.split('\n')) {
            at = range.indexOf(part, at);
            expect(at, part).toBeGreaterThanOrEqual(0);
          }
          expect(others.some((o) => o.start < c.end && c.start < o.end)).toBe(false);
        }
      }
    }
    for (const ch of corpus.chunks) expect(corpus.clauses.find((c) => c.id === ch.clauseId)!.text).toContain(ch.text);
  });
});

describe('header (标题) and signature (落款) units', () => {
  const only = (docId: string, number: '标题' | '落款') => {
    const units = unitsOf(docId, number);
    expect(units, number).toHaveLength(1);
    return units[0]!;
  };

  it('quote a notice\'s title and 文号 first, and leave the 文号 out of its 序言', () => {
    const d = docByTitle('北京市财政局北京市发展和改革委员会关于中小微企业三项行政事业性收费有关问题的通知');
    const header = only(d.id, '标题');
    expect(header).toMatchObject({ ordinal: 0, headingPath: [], label: `《${d.title}》标题` });
    expect(header.text).toBe('北京市财政局北京市发展和改革委员会关于中小微企业三项行政事业性收费有关问题的通知\n京财税〔2021〕491号');
    expect(d.docNumber).toBe('京财税〔2021〕491号');
    const preamble = clausesOf(d.id).find((c) => c.number === '序言')!;
    expect(preamble.ordinal).toBe(1);
    expect(preamble.text.startsWith('市交通委、市市场监管局、市水务局,各区财政局、发展改革委:')).toBe(true);
    expect(bodyOf(d.id).some((c) => c.text.includes('京财税〔2021〕491号'))).toBe(false);
  });

  it('quote a notice\'s 落款 where it stands, between the notice and the policy it issues', () => {
    const d = docByTitle('北京市人民政府关于印发《北京市促进总部企业高质量发展的相关规定》的通知');
    const clauses = clausesOf(d.id);
    expect(only(d.id, '标题').text).toBe('北京市人民政府关于印发《北京市促进总部企业高质量发展的相关规定》的通知\n京政发〔2021〕3号');
    const sig = only(d.id, '落款');
    expect(squash(sig.text)).toContain('北京市人民政府2021年2月5日');
    expect(sig.label).toBe('《北京市促进总部企业高质量发展的相关规定》落款');
    expect(clauses.map((c) => c.number).slice(0, 4)).toEqual(['标题', '序言', '落款', '第一条']);
    // the signature feeds metadata as before and stays out of every other clause
    expect(d).toMatchObject({ docNumber: '京政发〔2021〕3号', issuer: '北京市人民政府', issueDate: '2021-02-05', clauseCount: clauses.length - 2 });
    expect(clauses.filter((c) => c !== sig).some((c) => squash(c.text).includes('北京市人民政府2021年2月5日'))).toBe(false);
  });

  it('quote a signature dated in ISO form, and one of several issuing bodies on their own lines', () => {
    const ip = docByTitle('北京市知识产权局关于“两区”建设推进工作措施');
    const ipSig = only(ip.id, '落款');
    expect(squash(ipSig.text)).toContain('北京市知识产权局2021-02-18');
    expect(clausesOf(ip.id).at(-1)).toBe(ipSig);

    const skills = docByTitle('关于做好技能人才薪酬激励相关工作的意见(试行)');
    expect(only(skills.id, '标题').text).toBe('关于做好技能人才薪酬激励相关工作的意见(试行)\n京人社劳发〔2021〕46号');
    expect(only(skills.id, '落款').text).toBe('北京市人力资源和社会保障局\n北京市工商业联合会\n北京市总工会\n北京企业联合会/北京市企业家协会\n2021年12月23日');
    expect(skills.issueDate).toBe('2021-12-23');
  });

  it('quote long lists of issuing bodies, and a date run on into an attachment or the issued policy', () => {
    const cases: [string, string, string][] = [
      ['关于印发《关于进一步优化京津口岸营商环境促进跨境贸易便利化若干措施的公告》的通知', '北京市商务局(北京市政府口岸办)', '国家税务总局天津市税务局2021年2月4日'],
      ['关于转发中关村国家自主创新示范区特定区域技术转让企业所得税试点政策的通知', '北京市财政局国家税务总局北京市税务局', '中关村科技园区管理委员会2021年2月1日'],
      ['关于转发中关村国家自主创新示范区公司型创业投资企业有关企业所得税试点政策的通知', '北京市财政局国家税务总局北京市税务局', '中国证券监督管理委员会北京监管局2021年1月22日'],
      ['北京市水务局关于印发落实《关于支持中小微企业和个体工商户做好常态化疫情防控加快恢复发展的若干措施》实施细则的通知', '北京市水务局', '2021年3月24日'],
    ];
    for (const [title, first, last] of cases) {
      const d = docByTitle(title);
      const sig = squash(only(d.id, '落款').text);
      expect(sig.startsWith(first) && sig.endsWith(last), `${title}: ${sig}`).toBe(true);
    }
    // the attachment line and the issued policy stay body text
    const venture = docByTitle(cases[2]![0]);
    expect(bodyOf(venture.id).at(-1)!.text).toMatch(/\n附件:财政部税务总局发展改革委证监会关于/);
    // The water bureau's notice issues its own implementing rules: the rules' heading is their title
    // (cut out of the body like any issued policy's heading), not the parent policy they implement.
    const water = docByTitle(cases[3]![0]);
    expect(water.title).toBe('北京市水务局落实《关于支持中小微企业和个体工商户做好常态化疫情防控加快恢复发展的若干措施》实施细则');
    expect(water.titles).toEqual([cases[3]![0], water.title]);
    expect(bodyOf(water.id).some((c) => c.text.includes('\n按照市政府办公厅《关于支持中小微企业和个体工商户做好常态化疫情防控加快恢复发展的若干措施》(京政办发〔2021〕4号)文件精神'))).toBe(true);
    expect(bodyOf(water.id).some((c) => c.text.includes('实施细则按照'))).toBe(false);
    expect(bodyOf(water.id).some((c) => c.text.includes('我局制定了《北京市水务局落实〈关于支持中小微企业和个体工商户做好常态化疫情防控加快恢复发展的若干措施〉实施细则》'))).toBe(true);
  });

  it('are one per document with a title in its text, hold every 文号 found under a title, and every signature date', () => {
    const withBody = corpus.documents.filter((d) => d.clauseCount > 0);
    for (const d of withBody) {
      const clauses = clausesOf(d.id);
      const headers = unitsOf(d.id, '标题');
      expect(headers.length, d.title).toBeLessThanOrEqual(1);
      if (headers[0]) expect(clauses[0]).toBe(headers[0]);
      if (d.docNumber) expect(headers[0]?.text.endsWith(`\n${d.docNumber}`), d.title).toBe(true);
      const sigs = unitsOf(d.id, '落款');
      if (d.issueDate) {
        const [y, m, day] = d.issueDate.split('-').map(Number);
        expect(sigs.some((s) => s.text.includes(`${y}年${m}月${day}日`) || s.text.includes(d.issueDate!)), d.title).toBe(true);
      }
      // reading order, and the clean text each unit was read from
      expect(clauses.map((c) => c.ordinal)).toEqual(clauses.map((_, i) => i));
      for (let i = 1; i < clauses.length; i++) expect(clauses[i]!.start).toBeGreaterThan(clauses[i - 1]!.start);
      const file = corpus.files.find((f) => f.file === d.source.file)!;
      for (const u of [...headers, ...sigs]) expect(squash(file.text.slice(u.start, u.end)), u.label).toBe(squash(u.text));
    }
    const docsWithout = (number: '标题' | '落款') => withBody.filter((d) => unitsOf(d.id, number).length === 0).map((d) => d.title);
    // the FTZ regulation and the services plan carry no title in their text
    expect(docsWithout('标题')).toEqual(['中国（北京）自由贸易试验区条例', '全面推进北京市服务业扩大开放综合试点工作方案']);
    expect(corpus.clauses.filter((c) => c.number === '落款')).toHaveLength(27);
  });

  it('quote the header and 落款 from the source file, each in one chunk', async () => {
    const d = docByTitle('北京市人民政府关于支持综合保税区高质量发展的实施意见');
    const file = corpus.files.find((f) => f.file === d.source.file)!;
    const source = await readFile(path.join(CORPUS, file.file), 'utf8');
    for (const u of [only(d.id, '标题'), only(d.id, '落款')]) {
      expect(squash(source.slice(u.sourceStart, u.sourceEnd))).toBe(squash(u.text));
      const chunks = corpus.chunks.filter((ch) => ch.clauseId === u.id);
      expect(chunks).toMatchObject([{ id: u.id, label: u.label, text: u.text }]);
    }
    expect(only(d.id, '落款').text).toBe('北京市人民政府\n2021年11月6日');
  });

  it('are not made for a document without body text', () => {
    const d = docByTitle('关于做好阶段性减免企业社会保险费相关工作事项的通告');
    expect(d.clauseCount).toBe(0);
    expect(clausesOf(d.id)).toEqual([]);
    expect(d.bodyMissing).toBe(true);
    expect(file('2021q1').unplaced).toContain(`no text found for: ${d.title} (listed as title only)`);
  });
});

describe('the whole corpus', () => {
  it('holds 52 documents', () => {
    expect(corpus.documents).toHaveLength(52);
    expect(corpus.errors).toEqual([]);
  });

  it('puts every gold span of the dev set inside a single clause and a single chunk', async () => {
    const rows = (await readFile(path.join(SHARED, 'eval/dev.jsonl'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const byOriginal = new Map(corpus.files.map((f) => [f.originalName, f]));
    let spans = 0;
    for (const r of rows)
      for (const g of r.gold as { seed: string; span: string }[]) {
        const f = byOriginal.get(g.seed)!;
        expect(Math.max(...f.clauses.map((c) => coverage(c.text, g.span))), `${r.id}: ${g.span}`).toBeGreaterThanOrEqual(0.6);
        const chunks = corpus.chunks.filter((ch) => f.documents.some((d) => d.id === ch.docId));
        expect(Math.max(...chunks.map((c) => coverage(c.text, g.span))), `${r.id} chunk`).toBeGreaterThanOrEqual(0.6);
        spans++;
      }
    expect(spans).toBeGreaterThan(30);
  });

  it('keeps any passage of up to two sentences of a clause mostly inside one of its chunks', () => {
    let checked = 0;
    for (const c of corpus.clauses) {
      const chunks = corpus.chunks.filter((ch) => ch.clauseId === c.id);
      if (chunks.length < 2) continue;
      const sentences = c.text.split(/(?<=[。；])/);
      for (let i = 0; i + 1 < sentences.length; i++) {
        const span = sentences[i]! + sentences[i + 1]!;
        if (span.length > 200) continue;
        expect(Math.max(...chunks.map((ch) => coverage(ch.text, span))), `${c.label}: ${span}`).toBeGreaterThanOrEqual(0.6);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(500);
  });
});

describe('ids', () => {
  it('are identical when the corpus is ingested twice', async () => {
    const again = await ingestCorpus(CORPUS);
    expect(again.documents.map((d) => d.id)).toEqual(corpus.documents.map((d) => d.id));
    expect(again.chunks.map((c) => c.id)).toEqual(corpus.chunks.map((c) => c.id));
  });

  it('change only for the edited document when one document is edited', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pa-ids-'));
    try {
      await cp(CORPUS, dir, { recursive: true });
      const name = 'private-enterprise-policies-2021q4.txt';
      const text = await readFile(path.join(dir, name), 'utf8');
      // edit one article of the prepaid-card regulation only
      await writeFile(path.join(dir, name), text.replace('第十四条 预付卡设定有效期限', '第十四条 预付卡设定有效期限（修改）'));
      const edited = await ingestCorpus(dir);
      const target = corpus.documents.find((d) => d.title === '北京市单用途预付卡管理条例')!;
      const before = new Map(corpus.clauses.map((c) => [c.id, c]));
      const changed = edited.clauses.filter((c) => !before.has(c.id));
      expect(changed.length).toBeGreaterThan(0);
      expect(changed.every((c) => c.docId === target.id)).toBe(true);
      expect(edited.documents.map((d) => d.id)).toEqual(corpus.documents.map((d) => d.id));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('bad input', () => {
  it('reports each bad file clearly and still ingests the rest', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pa-bad-'));
    try {
      await cp(path.join(CORPUS, 'beijing-ftz-regulations.txt'), path.join(dir, 'good.txt'));
      await writeFile(path.join(dir, 'empty.txt'), '');
      await writeFile(path.join(dir, 'binary.txt'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
      // "第一条 本办法自发布之日起施行。" encoded in GB18030/GBK is decoded
      await writeFile(path.join(dir, 'gbk.txt'), Buffer.from('b5dad2bbccf520b1beb0ecb7a8d7d4b7a2b2bcd6aec8d5c6f0caa9d0d0a1a3', 'hex'));
      await writeFile(path.join(dir, 'big.txt'), '北京市'.repeat(1_200_000));
      await writeFile(path.join(dir, 'plain.md'), '# 一份没有编号的说明\n\n这是第一段文字，介绍背景。\n\n这是第二段文字，说明要求。\n');
      const c = await ingestCorpus(dir);
      const errors = new Map(c.errors.map((e) => [e.file, e.message]));
      expect(errors.get('empty.txt')).toMatch(/empty/);
      expect(errors.get('binary.txt')).toMatch(/binary/);
      expect(errors.get('big.txt')).toMatch(/MB is over the .* limit/);
      expect(c.errors).toHaveLength(3);
      const gbkDoc = c.files.find((f) => f.file === 'gbk.txt')!;
      expect(gbkDoc.encoding).toBe('gb18030');
      expect(gbkDoc.clauses.map((x) => x.text).join('')).toContain('本办法自发布之日起施行');
      const plain = c.files.find((f) => f.file === 'plain.md')!;
      expect(plain.documents).toHaveLength(1);
      const [header, ...body] = plain.clauses;
      expect(header).toMatchObject({ number: '标题', text: '一份没有编号的说明', label: '《一份没有编号的说明》标题', ordinal: 0 });
      expect(body.map((x) => x.text).join('\n')).toBe('这是第一段文字，介绍背景。\n这是第二段文字，说明要求。');
      expect(plain.documents[0]!.clauseCount).toBe(body.length);
      expect(c.files.find((f) => f.file === 'good.txt')!.clauses).toHaveLength(68);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
