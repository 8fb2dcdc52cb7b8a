import { beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { tools, InvalidInputError, type Tools } from '../../src/tools/index.ts';
import { sharedApp } from '../app-fixture.ts';

let app: App;
let t: Tools;
beforeAll(async () => {
  app = await sharedApp();
  t = tools(app);
});

/**
 * Retrieval behaviour on queries written for these tests. Dev-set retrieval figures (R@1, R@5, MRR)
 * are gated only by tests/integration/learned.test.ts against tests/baselines/dev-cv.json.
 */
describe('searchPolicies', () => {
  it('returns ranked clauses with labels, document metadata, verbatim text and every score', async () => {
    const { results } = await t.searchPolicies({ query: '外资银行可以参与进出口通关缴税和关税保函业务吗', k: 5 });
    expect(results.length).toBe(5);
    const hit = results.find((r) => r.text.includes('允许外资银行参与进出口通关缴税和关税保函业务'));
    expect(hit?.documentTitle).toBe('全面推进北京市服务业扩大开放综合试点工作方案');
    for (const r of results) {
      expect(app.corpus.clauseById.get(r.clauseId)!.text).toContain(r.text);
      expect(r.score).toBe(r.scores.rerank ?? r.scores.fused);
      expect(typeof (r.scores.dense ?? r.scores.lexical)).toBe('number');
    }
    // the hit was found by meaning, so it carries a dense score
    expect(hit!.scores.dense).toBeGreaterThan(0);
    expect(results.map((r) => r.score)).toEqual([...results.map((r) => r.score)].sort((a, b) => b - a));
  });

  it('puts the clause a question cites first, by title, short name or 文号', async () => {
    for (const [query, label] of [
      ['自贸区条例第十五条讲了什么', '《中国（北京）自由贸易试验区条例》第三章 第十五条'],
      ['京政发〔2021〕3号第五条', '《北京市促进总部企业高质量发展的相关规定》第五条'],
      ['《北京市促进私营个体经济发展条例》第二十八条的投诉处理时限', '《北京市促进私营个体经济发展条例》第三章 第二十八条'],
    ]) {
      const { results } = await t.searchPolicies({ query: query!, k: 3 });
      expect(results[0]!.label, query).toBe(label);
      expect(results[0]!.scores.reference).toBe('clause');
    }
  });

  it('finds Chinese clauses for English questions through term translation', async () => {
    const { results, query } = await t.searchPolicies({ query: 'May foreign-funded banks provide duty guarantees when goods clear customs?', k: 5 });
    expect(query.lang).toBe('en');
    expect(query.searched).toMatch(/关税保函|外资银行/);
    expect(results.some((r) => r.text.includes('关税保函'))).toBe(true);
  });

  it('filters by document, issuer and date', async () => {
    const ftz = await t.searchPolicies({ query: '知识产权', k: 10, filters: { document: '自贸区条例' } });
    expect(ftz.results.length).toBeGreaterThan(0);
    expect(new Set(ftz.results.map((r) => r.documentTitle))).toEqual(new Set(['中国（北京）自由贸易试验区条例']));
    const byIssuer = await t.searchPolicies({ query: '补贴', k: 10, filters: { issuer: '北京市财政局' } });
    expect(byIssuer.results.length).toBeGreaterThan(0);
    expect(byIssuer.results.every((r) => (r.issuer ?? '').includes('北京市财政局'))).toBe(true);
    const dated = await t.searchPolicies({ query: '补贴', k: 10, filters: { dateFrom: '2021-11-01', dateTo: '2021-12-31' } });
    expect(dated.results.length).toBeGreaterThan(0);
    expect(dated.results.every((r) => r.date! >= '2021-11-01' && r.date! <= '2021-12-31')).toBe(true);
  });

  it('gives bad queries a clear error or an empty result, never a crash', async () => {
    // Input is validated before the search starts, so a bad input may throw at the call itself.
    const search = async (input: Parameters<Tools['searchPolicies']>[0]) => t.searchPolicies(input);
    await expect(search({ query: '' })).rejects.toThrow(InvalidInputError);
    await expect(search({ query: '   \n ' })).rejects.toThrow(/empty/);
    await expect(search({ query: '条'.repeat(10_000) })).rejects.toThrow(/at most 2000 characters/);
    await expect(search({ query: '补贴', k: 0 })).rejects.toThrow(InvalidInputError);
    await expect(search({ query: '补贴', k: 10_000 })).rejects.toThrow(InvalidInputError);
    expect((await t.searchPolicies({ query: '？！。，、；：……——' })).results).toEqual([]);
    expect((await t.searchPolicies({ query: '🤔🤔🙏' })).results).toEqual([]);
    // Hostile text is searched as text: at most k results, each verbatim from its clause.
    let found = 0;
    for (const query of ["'; DROP TABLE clauses; --", '<script>alert(1)</script><img src=x onerror=alert(1)>', 'SELECT * FROM policies WHERE 1=1', '\u0000\u0007控制字符']) {
      const { results } = await t.searchPolicies({ query, k: 5 });
      expect(results.length).toBeLessThanOrEqual(5);
      for (const r of results) expect(app.corpus.clauseById.get(r.clauseId)!.text).toContain(r.text);
      found += results.length;
    }
    expect(found).toBeGreaterThan(0);
  });
});

