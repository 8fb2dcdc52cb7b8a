import { beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { tools, type Tools } from '../../src/tools/index.ts';
import { sharedApp } from '../app-fixture.ts';

let app: App;
let t: Tools;
beforeAll(async () => {
  app = await sharedApp();
  t = tools(app);
});

/**
 * Behaviour of the offline answerer on questions written for these tests (never dev-set questions,
 * which the ranker and answerer are fitted on). Dev-set figures are gated in one place only:
 * tests/integration/learned.test.ts against the checked-in baseline tests/baselines/dev-cv.json,
 * with one question's worth of tolerance.
 */
describe('offline answers', () => {
  it('lead with the fact asked for and quote the clause that states it', async () => {
    const a = await t.answerQuestion({ question: '专精特新中小企业通过融资租赁购置设备，每年补贴上限是多少？' });
    expect(a.mode).toBe('extractive');
    expect(a.abstained).toBe(false);
    expect(a.answer.split('\n')[0]).toMatch(/最高1000万元补贴.*\[1\]/);
    expect(a.citations[0]!.label).toContain('《北京市关于促进“专精特新”中小企业高质量发展的若干措施》');
    expect(a.citations[0]!.quote).toContain('每年给予最高1000万元补贴');
  });

  it('say plainly when the collection does not cover a question, naming a related clause only as related', async () => {
    const a = await t.answerQuestion({ question: '海南自由贸易港离岛免税购物每人每年的额度是多少？' });
    expect(a.abstained).toBe(true);
    expect(a.citations).toEqual([]);
    expect(a.answer).toMatch(/^已收录的政策中没有找到/);
    expect(a.answer).toContain('海南');
  });

  it('frame English questions in English around the Chinese quotes', async () => {
    const a = await t.answerQuestion({ question: 'What is the cap on foreign ownership of internet access (ISP) services in Beijing?' });
    expect(a.answer).toMatch(/^The policy states( \([^)]+\))?: “/);
    expect(a.answer).toMatch(/quoted verbatim; the policies are in Chinese/i);
  });

  it('answer a question about a document from its record, citing its 标题 and 落款', async () => {
    const a = await t.answerQuestion({ question: '京政发〔2021〕3号是什么文件？' });
    expect(a.abstained).toBe(false);
    expect(a.answer.split('\n')[0]).toMatch(/北京市人民政府.*2021年2月5日.*京政发〔2021〕3号/);
    expect(a.citations.map((c) => c.label.replace(/^.*》/, '')).slice(0, 2)).toEqual(['标题', '落款']);
    expect(a.citations[1]!.quote.replace(/\s/g, '')).toBe('北京市人民政府2021年2月5日');
  });

  it('answer a follow-up with something new, showing the query it searched', async () => {
    const first = await t.answerQuestion({ question: '零售药店申请医保定点需要满足哪些条件？' });
    const next = await t.answerQuestion({ question: '那怎么申请？', conversationId: first.conversationId });
    expect(next.searched).toContain('那怎么申请');
    expect(next.searched.length).toBeGreaterThan('那怎么申请？'.length);
    expect(next.answer.split('\n')[0]).not.toBe(first.answer.split('\n')[0]);
  });

  it('never cites a preamble as support, nor a same-numbered article of another document', async () => {
    const a = await t.answerQuestion({ question: '自贸区条例第三十条说了什么？' });
    expect(a.citations[0]!.label).toContain('第三十条');
    expect(a.citations[0]!.documentTitle).toContain('自由贸易试验区条例');
    // Other documents have a 第三十条 too, so citing only the one asked for is a real choice.
    const sameNumber = app.corpus.clauses.filter((c) => c.number === '第三十条' && c.docId !== a.citations[0]!.documentId);
    expect(sameNumber.length).toBeGreaterThan(0);
    const cited = new Set(a.citations.map((c) => c.id));
    expect(sameNumber.filter((c) => cited.has(c.id))).toEqual([]);
    for (const c of a.citations) {
      expect(c.documentTitle).toBe(a.citations[0]!.documentTitle);
      expect(c.label).not.toMatch(/序言$/);
    }
  });
});
