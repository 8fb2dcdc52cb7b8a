import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestCorpus, type Corpus } from '../../src/ingest/ingest.ts';
import { ORG_END } from '../../src/parse/metadata.ts';
import { documentFacets, documentStatus } from '../../src/parse/status.ts';
import { looseKey } from '../../src/parse/text.ts';
import { isRecordClause, type PolicyDocument } from '../../src/parse/types.ts';
import { timeNotices } from '../../src/answer/time.ts';
import { parseReference, resolveDocuments } from '../../src/retrieve/reference.ts';

// Checks the extractor against tests/fixtures/metadata-ground-truth.json: what each document's own
// text states, read by hand.
interface Truth {
  file: string;
  title: string;
  aliases?: string[];
  docNumber: string | null;
  issuers: string[];
  issueDate: string | null;
  effective: { statement: string; date: string | null } | null;
  expiry: { statement: string; date: string | null } | null;
  repeals: { title?: string; docNumber?: string; description?: string }[];
  bodyMissing: boolean;
}

const CORPUS = path.resolve('corpus');
let corpus: Corpus;
let truth: Truth[];
const docOf = (t: Truth): PolicyDocument | undefined => corpus.documents.find((d) => d.source.file === t.file && d.title === t.title);
const fileText = (d: PolicyDocument) => corpus.files.find((f) => f.file === d.source.file)!.text;

beforeAll(async () => {
  corpus = await ingestCorpus(CORPUS);
  truth = (JSON.parse(await readFile('tests/fixtures/metadata-ground-truth.json', 'utf8')) as { documents: Truth[] }).documents;
});

describe('document fidelity on the real corpus', () => {
  it('gives every document its own title as written, the compiler heading as an alias, and no title twice', () => {
    expect(corpus.documents).toHaveLength(truth.length);
    const missing = truth.filter((t) => !docOf(t)).map((t) => t.title);
    expect(missing).toEqual([]);
    for (const t of truth) {
      const d = docOf(t)!;
      expect(d.aliases).toEqual(t.aliases ?? []);
      // The title is in the document's own text (the FTZ regulation's comes from the manifest: its text has none).
      if (d.source.file !== 'beijing-ftz-regulations.txt' && d.source.file !== 'services-opening-pilot-work-plan.txt')
        expect(looseKey(fileText(d))).toContain(looseKey(t.title));
    }
    const titles = corpus.documents.map((d) => looseKey(d.title));
    expect(titles.filter((t, i) => titles.indexOf(t) !== i)).toEqual([]);
    const ids = corpus.documents.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('labels the water bureau rules by their own title, not the parent policy they implement', () => {
    const water = corpus.documents.find((d) => d.docNumber === '京水务再〔2021〕20号')!;
    const parent = corpus.documents.find((d) => d.docNumber === '京政办发〔2021〕4号')!;
    expect(water.title).toBe('北京市水务局落实《关于支持中小微企业和个体工商户做好常态化疫情防控加快恢复发展的若干措施》实施细则');
    expect(water.shortNames).not.toContain(parent.title);
    for (const c of corpus.clauses.filter((c) => c.docId === water.id)) expect(c.label.startsWith(`《${water.title}》`)).toBe(true);
  });

  it('still finds a document by the heading the compilation lists it under, and a parent policy by its title alone', () => {
    const health = corpus.documents.find((d) => d.aliases.includes('健康医疗领域“两区”建设方案'))!;
    expect(resolveDocuments(parseReference('《健康医疗领域“两区”建设方案》'), corpus.documents).docs.map((d) => d.id)).toEqual([health.id]);
    const parent = corpus.documents.find((d) => d.docNumber === '京政办发〔2021〕4号')!;
    expect(resolveDocuments(parseReference(`《${parent.title}》`), corpus.documents).docs.map((d) => d.id)).toEqual([parent.id]);
  });

  it('keeps every 落款 its own clause, never inside another clause', () => {
    const namesAndDate = new RegExp(`^([\\p{Script=Han}、/（）()]{2,200}?)(\\d{4}年\\d{1,2}月\\d{1,2}日|\\d{4}-\\d{2}-\\d{2})$`, 'u');
    const offenders: string[] = [];
    for (const c of corpus.clauses) {
      if (isRecordClause(c)) continue;
      for (const line of c.text.split('\n')) {
        const m = namesAndDate.exec(line);
        if (m && ORG_END.test(m[1]!)) offenders.push(`${c.label}: ${line}`);
        if (/^\d{4}年\d{1,2}月\d{1,2}日$/.test(line)) offenders.push(`${c.label}: ${line}`);
      }
    }
    expect(offenders).toEqual([]);
    // Every stated issue date was read from a 落款 clause of its own document.
    for (const d of corpus.documents.filter((d) => d.provenance.issueDate)) {
      const at = d.provenance.issueDate!;
      const sig = corpus.clauses.filter((c) => c.docId === d.id && c.number === '落款');
      expect(sig.some((c) => c.start <= at.start && at.end <= c.end), d.title).toBe(true);
    }
  });

  it('lists a document whose body the source lacks as title only, and indexes nothing of it', () => {
    const missing = corpus.documents.filter((d) => d.bodyMissing);
    expect(missing.map((d) => d.title)).toEqual(truth.filter((t) => t.bodyMissing).map((t) => t.title));
    for (const d of missing) {
      expect(corpus.clauses.filter((c) => c.docId === d.id && !isRecordClause(c))).toEqual([]);
      expect(corpus.chunks.filter((c) => c.docId === d.id && !c.label.endsWith('标题'))).toEqual([]);
    }
    expect(corpus.documents.filter((d) => !d.bodyMissing).every((d) => d.clauseCount > 0)).toBe(true);
  });
});

describe('metadata coverage against the hand-read ground truth', () => {
  it('finds ≥ 95% of each stated field, each with the offsets it was read from', () => {
    const rows: Record<string, { found: number; stated: number; extra: number }> = {};
    const tally = (field: string, stated: boolean, found: boolean, extra = false) => {
      const r = (rows[field] ??= { found: 0, stated: 0, extra: 0 });
      if (stated) r.stated++;
      if (stated && found) r.found++;
      if (extra) r.extra++;
    };
    const misses: string[] = [];
    const miss = (t: Truth, what: string) => misses.push(`${t.title.slice(0, 24)}…: ${what}`);
    for (const t of truth) {
      const d = docOf(t)!;
      const text = fileText(d);
      const src = (s: { start: number; end: number }) => looseKey(text.slice(s.start, s.end));

      const dn = d.provenance.docNumber;
      const dnOk = !!t.docNumber && d.docNumber === t.docNumber && !!dn && src(dn) === looseKey(t.docNumber);
      tally('文号', !!t.docNumber, dnOk, !t.docNumber && !!d.docNumber);
      if (t.docNumber && !dnOk) miss(t, `文号 ${d.docNumber}`);

      for (const name of t.issuers) {
        const at = d.provenance.issuers.find((p) => p.text === name);
        const ok = d.issuers.includes(name) && !!at && src(at) === looseKey(name);
        tally('issuer', true, ok);
        if (!ok) miss(t, `issuer ${name} (got ${d.issuers.join('、')})`);
      }
      for (const name of d.provenance.issuers.map((p) => p.text)) if (!t.issuers.includes(name)) tally('issuer', false, false, true);

      const idOk = !!t.issueDate && d.issueDate === t.issueDate && !!d.provenance.issueDate;
      tally('issue date', !!t.issueDate, idOk, !t.issueDate && !!d.provenance.issueDate);
      if (t.issueDate && !idOk) miss(t, `issue date ${d.issueDate}`);

      const eff = d.provenance.effective;
      const effOk = !!t.effective && !!eff && src(eff).includes(looseKey(t.effective.statement)) && (d.effectiveDate ?? null) === t.effective.date;
      tally('effective', !!t.effective, effOk, !t.effective && !!eff);
      if (t.effective && !effOk) miss(t, `effective ${eff?.text} ${d.effectiveDate}`);

      const exp = d.provenance.expiry;
      const expOk = !!t.expiry && !!exp && src(exp).includes(looseKey(t.expiry.statement)) && (d.expiryDate ?? null) === t.expiry.date;
      tally('expiry', !!t.expiry, expOk, !t.expiry && !!exp);

      for (const r of t.repeals) {
        const got = d.repeals.find((x) => (r.docNumber ? x.docNumber === r.docNumber && x.title === r.title : x.description === r.description));
        const ok = !!got && looseKey(text.slice(got.span.start, got.span.end)).includes(looseKey(r.title ?? r.description!));
        tally('repeals', true, ok);
        if (!ok) miss(t, `repeal ${r.title ?? r.description}`);
      }
      tally('repeals', false, false, d.repeals.length > t.repeals.length);
    }
    const table = Object.entries(rows).map(([field, r]) => `${field.padEnd(11)} ${String(r.found).padStart(3)}/${String(r.stated).padEnd(3)} ${r.stated ? ((100 * r.found) / r.stated).toFixed(1) + '%' : 'n/a (none stated)'}  read where none stated: ${r.extra}`);
    console.log(['metadata coverage (field found/stated):', ...table, ...misses.map((m) => `  missed: ${m}`)].join('\n'));
    for (const [field, r] of Object.entries(rows)) {
      if (r.stated) expect(r.found / r.stated, field).toBeGreaterThanOrEqual(0.95);
      expect(r.extra, `${field} read where the text states none`).toBe(0);
    }
  });

  it('maps source offsets back to the words in the original file', async () => {
    const d = corpus.documents.find((x) => x.docNumber === '京财税〔2021〕134号')!;
    const source = await readFile(path.join(CORPUS, d.source.file), 'utf8');
    const squash = (s: string) => s.replace(/\s+/g, '');
    expect(squash(source.slice(d.provenance.docNumber!.sourceStart, d.provenance.docNumber!.sourceEnd))).toBe('京财税〔2021〕134号');
    for (const p of d.provenance.issuers) expect(squash(source.slice(p.sourceStart, p.sourceEnd))).toBe(p.text);
    expect(squash(source.slice(d.provenance.issueDate!.sourceStart, d.provenance.issueDate!.sourceEnd))).toBe('2021年1月22日');
  });
});

describe('status of each document as of a date', () => {
  let dir: string;
  let withOld: Corpus;
  // A document 京政发〔2021〕3号 repeals, added to a copy of the compilation: the corpus itself holds neither.
  const OLD = [
    '北京市人民政府印发关于鼓励跨国公司在京设立地区总部若干规定的通知',
    '京政发〔2009〕15号',
    '各区人民政府，市政府各委、办、局：',
    '一、测试用文本，不是原文。',
    '二、仅用于检验废止关系的识别。',
    '北京市人民政府',
    '2009年5月1日',
  ].join('\n');

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'meta-status-'));
    await copyFile(path.join(CORPUS, 'private-enterprise-policies-2021q1.txt'), path.join(dir, 'q1.txt'));
    await writeFile(path.join(dir, 'old-2009.txt'), OLD);
    withOld = await ingestCorpus(dir);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const byNumber = (c: Corpus, n: string) => c.documents.find((d) => d.docNumber === n)!;

  it('京政发〔2021〕3号 records the two documents it repeals, with offsets, though neither is in the corpus', () => {
    const d = byNumber(corpus, '京政发〔2021〕3号');
    expect(d.repeals.map((r) => [r.title, r.docNumber, r.effectiveDate])).toEqual([
      ['北京市人民政府印发关于鼓励跨国公司在京设立地区总部若干规定的通知', '京政发〔2009〕15号', '2021-02-05'],
      ['北京市人民政府关于印发加快总部企业在京发展工作意见的通知', '京政发〔2013〕29号', '2021-02-05'],
    ]);
    for (const r of d.repeals) expect(fileText(d).slice(r.span.start, r.span.end)).toContain(r.docNumber!);
    expect(documentStatus(d, corpus.documents, '2022-01-01').status).toBe('in_force');
    expect(corpus.documents.filter((x) => x.repealedBy.length)).toEqual([]);
  });

  it('a document it repeals is in force before 2021-02-05 and repealed from then, naming 京政发〔2021〕3号', () => {
    const old = byNumber(withOld, '京政发〔2009〕15号');
    const hq = byNumber(withOld, '京政发〔2021〕3号');
    expect(old.repealedBy).toEqual([{ id: hq.id, title: hq.title, docNumber: '京政发〔2021〕3号', effectiveDate: '2021-02-05' }]);
    expect(documentStatus(old, withOld.documents, '2021-02-04').status).toBe('in_force');
    const s = documentStatus(old, withOld.documents, '2021-02-05');
    expect(s).toMatchObject({ status: 'repealed', repealedBy: { id: hq.id } });
    expect(documentFacets(old, withOld.documents, '2023-01-01')).toMatchObject({ status: 'repealed', repealedBy: hq.id, issuers: ['北京市人民政府'], issueDate: '2009-05-01' });
    const clause = withOld.clauses.find((c) => c.docId === old.id && !isRecordClause(c))!;
    expect(timeNotices(old, clause.text, clause.label, '2023-01-01')[0]!.text).toBe(
      `《${old.title}》已被《北京市促进总部企业高质量发展的相关规定》（京政发〔2021〕3号）废止（自2021-02-05起），不再执行。`,
    );
  });

  it('the 城管委 decision records its repeal of 11 unnamed documents and is itself in force', () => {
    const d = byNumber(corpus, '京管发〔2021〕16号');
    expect(d.repeals).toMatchObject([{ description: '11件行政规范性文件', effectiveDate: '2021-08-13' }]);
    expect(documentStatus(d, corpus.documents, '2021-08-12').status).toBe('not_yet_effective');
    expect(documentStatus(d, corpus.documents, '2021-08-13').status).toBe('in_force');
  });

  it('the measures that ran to 2021-03-31 stay in force as documents, and an answer citing them says the measure ended', () => {
    for (const n of ['京政办发〔2021〕4号', '京财税〔2021〕491号']) {
      const d = byNumber(corpus, n);
      expect(d.expiryDate).toBeUndefined();
      expect(documentStatus(d, corpus.documents, '2021-06-01').status).toBe('in_force');
      const clause = corpus.clauses.find((c) => c.docId === d.id && c.text.includes('至2021年3月31日'))!;
      const notices = timeNotices(d, clause.text, clause.label, '2021-06-01');
      expect(notices.find((x) => x.expired)!.text).toContain('执行期限至2021年3月31日，已过期');
      expect(timeNotices(d, clause.text, clause.label, '2021-03-01').some((x) => x.expired)).toBe(false);
    }
  });

  it('regulations are not yet effective before their stated date and in force from it', () => {
    const cases: [string, string, string][] = [
      ['中国（北京）自由贸易试验区条例', '2022-04-30', '2022-05-01'],
      ['北京市单用途预付卡管理条例', '2022-05-31', '2022-06-01'],
      ['北京市促进私营个体经济发展条例', '2001-09-30', '2001-10-01'],
    ];
    for (const [title, before, on] of cases) {
      const d = corpus.documents.find((x) => x.title === title)!;
      expect(documentStatus(d, corpus.documents, before).status, title).toBe('not_yet_effective');
      expect(documentStatus(d, corpus.documents, on).status, title).toBe('in_force');
    }
    // As of today's corpus every document is in force: none states an ended period, none is repealed by another.
    const counts = new Map<string, number>();
    for (const d of corpus.documents) {
      const s = documentStatus(d, corpus.documents, '2025-01-01').status;
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    expect(Object.fromEntries(counts)).toEqual({ in_force: 52 });
  });
});
