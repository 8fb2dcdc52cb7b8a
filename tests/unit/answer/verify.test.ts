import { describe, expect, it } from 'vitest';
import { verifyDraft } from '../../../src/answer/verify.ts';
import { clause, ctx, doc } from './fixtures.ts';

const A = clause('第三条', '符合条件的小微企业，\n按月租金的30%给予补贴，每年最高10万元。');
const B = clause('第五条', '补贴资金由区财政局拨付。');
const context = [ctx(1, A), ctx(2, B)];
const draft = (text: string, citations: { n: number; clauseId: string; quote: string }[]) => ({ text, citations, abstained: false, notices: [] });

describe('verifyDraft', () => {
  it('keeps verbatim citations of retrieved clauses, whitespace aside, with their document', () => {
    const v = verifyDraft(draft('每年最高10万元[1]，由区财政局拨付[2]。', [
      { n: 1, clauseId: '第三条', quote: '小微企业，按月租金的30%给予补贴' },
      { n: 2, clauseId: '第五条', quote: '  补贴资金由区财政局拨付。 ' },
    ]), context);
    expect(v.rejected).toEqual([]);
    expect(v.text).toBe('每年最高10万元[1]，由区财政局拨付[2]。');
    expect(v.citations).toEqual([
      { n: 1, id: '第三条', label: A.label, documentId: 'doc-a', documentTitle: '某某区小微企业房租补贴办法', docNumber: '某政发〔2021〕1号', date: '2021-03-01', quote: '小微企业，按月租金的30%给予补贴' },
      expect.objectContaining({ n: 2, id: '第五条', quote: '补贴资金由区财政局拨付。' }),
    ]);
  });

  it('removes a citation whose quote is not in the clause, or whose clause was not retrieved, with its markers', () => {
    const v = verifyDraft(draft('补贴30%[1]，最高20万元[2]，另有奖励[3]。', [
      { n: 1, clauseId: '第三条', quote: '按月租金的30%给予补贴' },
      { n: 2, clauseId: '第三条', quote: '每年最高20万元' },
      { n: 3, clauseId: '第九条', quote: '另有奖励' },
    ]), context);
    expect(v.text).toBe('补贴30%[1]，最高20万元，另有奖励。');
    expect(v.citations.map((c) => c.quote)).toEqual(['按月租金的30%给予补贴']);
    expect(v.rejected).toEqual([
      { n: 2, reason: `quote is not verbatim from ${A.label}` },
      { n: 3, reason: 'clause 第九条 was not among the retrieved clauses' },
    ]);
  });

  it('rejects an empty quote and a second citation with the same number', () => {
    const v = verifyDraft(draft('甲[1]乙[2]', [
      { n: 1, clauseId: '第五条', quote: '区财政局' },
      { n: 1, clauseId: '第三条', quote: '小微企业' },
      { n: 2, clauseId: '第三条', quote: '  ' },
    ]), context);
    expect(v.citations.map((c) => [c.n, c.id])).toEqual([[1, '第五条']]);
    expect(v.rejected.map((r) => r.reason)).toEqual(['duplicate citation number', `quote is not verbatim from ${A.label}`]);
    expect(v.text).toBe('甲[1]乙');
  });

  it('renumbers by first mention, putting citations never mentioned last, and drops unknown markers', () => {
    const v = verifyDraft(draft('先说拨付[2]，再说比例[1]，又提拨付[2][7]', [
      { n: 1, clauseId: '第三条', quote: '30%' },
      { n: 2, clauseId: '第五条', quote: '区财政局' },
      { n: 3, clauseId: '第三条', quote: '每年最高10万元' },
    ]), context);
    expect(v.text).toBe('先说拨付[1]，再说比例[2]，又提拨付[1]');
    expect(v.citations.map((c) => [c.n, c.quote])).toEqual([
      [1, '区财政局'],
      [2, '30%'],
      [3, '每年最高10万元'],
    ]);
  });

  it('gives an empty draft an empty result, and trims the space a removed marker leaves at a line end', () => {
    expect(verifyDraft(draft('', []), [])).toEqual({ text: '', citations: [], rejected: [] });
    const v = verifyDraft(draft('第一行 [1]\n第二行', [{ n: 1, clauseId: '第三条', quote: '不存在' }]), context);
    expect(v.text).toBe('第一行\n第二行');
  });

  it('reads the document of each clause, not of the first one', () => {
    const other = doc({ id: 'doc-b', title: '另一办法', docNumber: undefined, issueDate: undefined });
    const C = clause('第一条', '另一办法的条文。', { docId: 'doc-b' });
    const v = verifyDraft(draft('见[1]', [{ n: 1, clauseId: '第一条', quote: '另一办法的条文' }]), [ctx(1, C, other)]);
    expect(v.citations[0]).toMatchObject({ documentId: 'doc-b', documentTitle: '另一办法', docNumber: undefined, date: undefined });
  });
});
