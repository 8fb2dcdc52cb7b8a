import { describe, expect, it } from 'vitest';
import { timeNotices } from '../../../src/answer/time.ts';
import { parseFile } from '../../../src/ingest/ingest.ts';
import { splitIssuers } from '../../../src/parse/metadata.ts';
import { documentFacets, documentStatus } from '../../../src/parse/status.ts';

const docOf = (text: string, name = 'x.txt') => {
  const f = parseFile(name, Buffer.from(text), {});
  expect(f.documents).toHaveLength(1);
  return { doc: f.documents[0]!, file: f };
};

const plan = (lines: string[]) => ['关于某项工作的若干措施', '为做好某项工作，制定本措施。', '一、总体要求', '要求如下。', ...lines].join('\n') + '\n';

describe('splitIssuers', () => {
  it('splits bodies run together, keeping a national body with its local office and names in brackets', () => {
    const s = '北京市财政局国家税务总局北京市税务局中关村科技园区管理委员会中国证券监督管理委员会北京监管局北京市商务局(北京市政府口岸办)';
    const parts = splitIssuers(s, 10);
    expect(parts.map((p) => p.text)).toEqual(['北京市财政局', '国家税务总局北京市税务局', '中关村科技园区管理委员会', '中国证券监督管理委员会北京监管局', '北京市商务局(北京市政府口岸办)']);
    for (const p of parts) expect(s.slice(p.start - 10, p.end - 10)).toBe(p.text);
  });

  it('keeps one body written with a slash, and does not cut inside a name', () => {
    expect(splitIssuers('北京企业联合会/北京市企业家协会', 0).map((p) => p.text)).toEqual(['北京企业联合会/北京市企业家协会']);
    expect(splitIssuers('北京市人民政府办公厅', 0).map((p) => p.text)).toEqual(['北京市人民政府办公厅']);
    expect(splitIssuers('中华人民共和国北京海关北京市交通委员会', 0).map((p) => p.text)).toEqual(['中华人民共和国北京海关', '北京市交通委员会']);
  });
});

describe('effective and expiry statements', () => {
  it('reads a stated effective date with its offsets', () => {
    const { doc, file } = docOf(plan(['二、附则', '本措施自2022年1月1日起施行。']));
    expect(doc.effectiveDate).toBe('2022-01-01');
    expect(doc.effectiveRule).toBe('date');
    const at = doc.provenance.effective!;
    expect(file.text.slice(at.start, at.end)).toBe('本措施自2022年1月1日起施行。');
  });

  it('takes the issue date for "自印发之日起施行", and N days after it for "自发布之日起30日后施行"', () => {
    const on = docOf(plan(['本措施自印发之日起施行。', '北京市某某局', '2021年5月6日'])).doc;
    expect([on.issueDate, on.effectiveDate, on.effectiveRule]).toEqual(['2021-05-06', '2021-05-06', 'on_issue']);
    const after = docOf(plan(['本措施自发布之日起30日后施行。', '北京市某某局', '2021年5月6日'])).doc;
    expect([after.effectiveDate, after.effectiveRule]).toEqual(['2021-06-05', 'after_issue']);
  });

  it('reads a period as written and as a date: 执行期限至…, 有效期3年, 试行期两年', () => {
    const until = docOf(plan(['本措施执行期限至2021年3月31日。', '北京市某某局', '2021年2月1日'])).doc;
    expect([until.validity, until.expiryDate]).toEqual(['执行期限至2021年3月31日', '2021-03-31']);
    const years = docOf(plan(['本措施自2021年7月1日起施行，有效期3年。'])).doc;
    expect([years.effectiveDate, years.validity, years.expiryDate]).toEqual(['2021-07-01', '有效期3年', '2024-06-30']);
    const trial = docOf(plan(['本办法自印发之日起实施，试行期两年。', '北京市某某局', '2021年3月15日'])).doc;
    expect([trial.validity, trial.expiryDate]).toEqual(['试行期两年', '2023-03-14']);
  });

  it('does not take a measure\'s own deadline, or another document\'s, as the document\'s', () => {
    const d = docOf(plan(['继续实施停征某项费用政策至2021年3月31日。', '《某某办法》自2020年7月23日起施行。'])).doc;
    expect(d.expiryDate).toBeUndefined();
    expect(d.effectiveDate).toBeUndefined();
  });
});

describe('documentStatus', () => {
  const ended = docOf(plan(['本措施执行期限至2021年3月31日。', '北京市某某局', '2021年2月1日']), 'a.txt').doc;
  const later = docOf(plan(['本措施自2022年6月1日起施行。']), 'b.txt').doc;
  const old = docOf(['北京市某某局关于某事的通知', '京某发〔2009〕15号', '各区：现将有关事项通知如下。', '一、要求', '要求如下。', '北京市某某局', '2009年6月1日'].join('\n'), 'c.txt').doc;
  const repealer = docOf(
    ['北京市某某局关于另一事的规定', '京某发〔2021〕3号', '第一条 为做好另一事，制定本规定。', '第二条 另一事由市某某局负责。', '第三条 本规定自发布之日起施行。《北京市某某局关于某事的通知》(京某发〔2009〕15号)同时废止。', '北京市某某局', '2021年2月5日'].join('\n'),
    'd.txt',
  ).doc;
  const corpus = [ended, later, old, repealer];

  it('is expired after the stated period, in force within it', () => {
    expect(documentStatus(ended, corpus, '2021-03-31').status).toBe('in_force');
    expect(documentStatus(ended, corpus, '2021-04-01')).toMatchObject({ status: 'expired', since: '2021-03-31' });
  });

  it('is not yet effective before its effective date', () => {
    expect(documentStatus(later, corpus, '2022-05-31').status).toBe('not_yet_effective');
    expect(documentStatus(later, corpus, '2022-06-01').status).toBe('in_force');
  });

  it('is repealed from the date the repealing document takes effect, and names it', () => {
    expect(repealer.repeals).toMatchObject([{ title: '北京市某某局关于某事的通知', docNumber: '京某发〔2009〕15号', effectiveDate: '2021-02-05' }]);
    expect(documentStatus(old, corpus, '2021-02-04').status).toBe('in_force');
    const s = documentStatus(old, corpus, '2021-02-05');
    expect(s).toMatchObject({ status: 'repealed', repealedBy: { id: repealer.id, docNumber: '京某发〔2021〕3号' } });
    expect(s.reason).toContain('已被《北京市某某局关于另一事的规定》（京某发〔2021〕3号）废止');
    expect(documentFacets(old, corpus, '2022-01-01')).toMatchObject({ status: 'repealed', repealedBy: repealer.id, issuers: ['北京市某某局'], issueDate: '2009-06-01' });
  });

  it('lets an answer say so from the record', () => {
    const label = `《${ended.title}》一、总体要求`;
    expect(timeNotices(ended, '要求如下。', label, '2021-06-01').map((n) => n.text)).toContain(`《${ended.title}》执行期限至2021年3月31日，已过期，可能已失效。`);
    const withRepealer = { ...old, repealedBy: [{ id: repealer.id, title: repealer.title, docNumber: repealer.docNumber, effectiveDate: '2021-02-05' }] };
    const [first] = timeNotices(withRepealer, '要求如下。', `《${old.title}》一、要求`, '2021-06-01');
    expect(first).toEqual({ kind: 'validity', expired: true, until: '2021-02-05', text: `《${old.title}》已被《${repealer.title}》（京某发〔2021〕3号）废止（自2021-02-05起），不再执行。` });
    expect(timeNotices(withRepealer, '要求如下。', `《${old.title}》一、要求`, '2020-06-01').some((n) => n.expired)).toBe(false);
  });
});
