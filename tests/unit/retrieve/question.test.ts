import { describe, expect, it } from 'vitest';
import { analyse, asksAboutDocument, isFollowUp, splitParts, statesKind } from '../../../src/retrieve/question.ts';

describe('analyse', () => {
  it('tells what kind of fact a question asks for', () => {
    const cases: [string, string[]][] = [
      ['租金补贴多少钱？', ['amount']],
      ['外资股比上限是多少？', ['percent']],
      ['审批需要多少个工作日？', ['duration']],
      ['全市有几家试点企业？', ['count']],
      ['申请截止到什么时候？', ['date']],
      ['由哪个部门负责受理？', ['who']],
      ['小微企业能享受哪些优惠？', ['support']],
      ['这项政策的背景是什么？', ['open']],
      ['How long does approval take?', ['duration']],
      ['Which agency handles this?', ['who']],
    ];
    for (const [q, kinds] of cases) expect(analyse(q).kinds, q).toEqual(kinds);
  });

  it('does not read "how many days" as a count, and treats empty text as open', () => {
    expect(analyse('审批要几天？').kinds).toEqual(['duration']);
    expect(analyse('How many days does approval take?').kinds).toEqual(['duration']);
    expect(analyse('')).toEqual({ text: '', kinds: ['open'], parts: [''] });
  });
});

describe('splitParts', () => {
  it('splits a question that asks two things, in Chinese or English', () => {
    expect(splitParts('补贴标准是多少？另外找哪个部门申请？')).toEqual(['补贴标准是多少？', '找哪个部门申请？']);
    expect(splitParts('补贴标准是多少，此外由谁审核？')).toEqual(['补贴标准是多少', '由谁审核？']);
    expect(splitParts('What is the subsidy? And who pays it?')).toEqual(['What is the subsidy?', 'who pays it?']);
  });

  it('keeps a single question, and fragments too short to be questions, whole', () => {
    expect(splitParts('补贴标准是多少？')).toEqual(['补贴标准是多少？']);
    expect(splitParts('补贴多少，另外呢')).toEqual(['补贴多少，另外呢']);
    expect(splitParts('甲？乙？')).toEqual(['甲？乙？']);
  });
});

describe('statesKind', () => {
  it('checks that a text states the kind of fact asked for', () => {
    expect(statesKind('给予最高50万元补贴', 'amount')).toBe(true);
    expect(statesKind('应当依法办理', 'amount')).toBe(false);
    expect(statesKind('外资股比不超过50%', 'percent')).toBe(true);
    expect(statesKind('外资股比不超过50％', 'percent')).toBe(true);
    expect(statesKind('在10个工作日内办结', 'duration')).toBe(true);
    expect(statesKind('自2021年3月1日起施行', 'date')).toBe(true);
    expect(statesKind('由市商务局负责', 'who')).toBe(true);
    expect(statesKind('给予贴息支持', 'support')).toBe(true);
    expect(statesKind('共有3家企业', 'count')).toBe(true);
    expect(statesKind('任何文字', 'open')).toBe(true);
  });

  it('does not take an article\'s own number for a count', () => {
    expect(statesKind('第三十一条 企业应当遵守本条例。', 'count')).toBe(false);
    expect(statesKind('第三十一条 支持3家企业。', 'count')).toBe(true);
  });
});

describe('isFollowUp', () => {
  it('recognises a turn that leans on the one before', () => {
    for (const t of ['那如果是外资企业呢？', '它的期限呢', '  那么条件呢', 'what about foreign firms?', '还有吗', '怎么申请']) expect(isFollowUp(t), t).toBe(true);
  });

  it('does not take a full question for one', () => {
    expect(isFollowUp('小微企业房租补贴怎么申请？')).toBe(false);
    expect(isFollowUp('How do small firms apply for a rent subsidy?')).toBe(false);
  });
});

describe('asksAboutDocument', () => {
  it('recognises questions about who issued a document, when, its 文号 and validity', () => {
    for (const t of ['这个文件的文号是多少？', '哪个部门印发的？', '什么时候施行？', '还有效吗？', 'Who issued this notice?', 'Is it still in force?']) expect(asksAboutDocument(t), t).toBe(true);
    expect(asksAboutDocument('补贴多少？')).toBe(false);
    expect(asksAboutDocument('')).toBe(false);
  });
});
