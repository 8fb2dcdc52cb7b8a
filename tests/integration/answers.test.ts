import { beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { tools, type Tools } from '../../src/tools/index.ts';
import { sharedApp } from '../app-fixture.ts';
import { judgeAnswer, loadDevSet } from '../bench/dev-set.ts';
import { squash } from '../helpers.ts';

let app: App;
let t: Tools;
beforeAll(async () => {
  app = await sharedApp();
  t = tools(app);
});

describe('offline answers', () => {
  it('lead with the fact asked for and quote the clause that states it', async () => {
    const a = await t.answerQuestion({ question: '我们是专精特新企业，想用融资租赁的方式添置检测和生产设备，政府一年最多能补多少？' });
    expect(a.mode).toBe('extractive');
    expect(a.abstained).toBe(false);
    expect(a.answer.split('\n')[0]).toMatch(/最高1000万元补贴.*\[1\]/);
    expect(a.citations[0]!.label).toContain('《北京市关于促进“专精特新”中小企业高质量发展的若干措施》');
    expect(a.citations[0]!.quote).toContain('每年给予最高1000万元补贴');
  });

  it('say plainly when the collection does not cover a question, naming a related clause only as related', async () => {
    const a = await t.answerQuestion({ question: '海南自贸港那边，进口艺术品做保税展示交易，海关担保期限最长能到多久？' });
    expect(a.abstained).toBe(true);
    expect(a.citations).toEqual([]);
    expect(a.answer).toMatch(/^已收录的政策中没有找到/);
    expect(a.answer).toContain('海南');
  });

  it('frame English questions in English around the Chinese quotes', async () => {
    const a = await t.answerQuestion({ question: 'What is the cap on foreign ownership of internet access (ISP) services in Beijing?' });
    expect(a.answer).toMatch(/^According to 《/);
    expect(a.answer).toMatch(/Sources \(quoted verbatim/);
  });

  it('meet the answer targets on the dev set: ≥ 80% correct, ≥ 75% abstention, ≤ 5% false abstention, all quotes verbatim', async () => {
    const rows = await loadDevSet();
    let correct = 0;
    let answerable = 0;
    let abstainedOk = 0;
    let unanswerable = 0;
    let falseAbstain = 0;
    for (const q of rows) {
      const a = await t.answerQuestion({ question: q.question });
      for (const c of a.citations) expect(squash(app.corpus.clauseById.get(c.id)!.text)).toContain(squash(c.quote));
      if (!q.answerable) {
        unanswerable++;
        if (a.abstained) abstainedOk++;
        continue;
      }
      answerable++;
      if (a.abstained) falseAbstain++;
      else {
        const { hasKey, hitsGold } = judgeAnswer(q, a);
        if (hasKey && hitsGold) correct++;
      }
    }
    expect(correct / answerable).toBeGreaterThanOrEqual(0.8);
    expect(abstainedOk / unanswerable).toBeGreaterThanOrEqual(0.75);
    expect(falseAbstain / answerable).toBeLessThanOrEqual(0.05);
  });
});
