import { describe, expect, it } from 'vitest';
import { timeNotices } from '../../../src/answer/time.ts';
import { today } from '../../../src/parse/status.ts';
import { doc } from './fixtures.ts';

const LABEL = '《某某区小微企业房租补贴办法》第三条';

describe('timeNotices', () => {
  it('warns when a measure in the clause ran until a date that has passed', () => {
    const notices = timeNotices(doc(), '本措施执行至2021年3月31日。', LABEL, '2022-01-01');
    expect(notices[0]).toEqual({ kind: 'validity', expired: true, until: '2021-03-31', text: `${LABEL}中的措施执行期限至2021年3月31日，已过期，可能已不再执行，请向主管部门确认。` });
  });

  it('does not warn for a date still to come or today, and reads spaced and other "until" wordings', () => {
    expect(timeNotices(doc(), '有效期至2030年1月1日。', LABEL, '2022-01-01').some((n) => n.expired)).toBe(false);
    expect(timeNotices(doc(), '实施至2022年1月1日。', LABEL, '2022-01-01').some((n) => n.expired)).toBe(false);
    const spaced = timeNotices(doc(), '延长至 2021 年 6 月 30 日', LABEL, '2021-07-01');
    expect(spaced.filter((n) => n.expired)).toHaveLength(1);
    expect(spaced[0]!.text).toContain('2021年6月30日');
    const two = timeNotices(doc(), '第一阶段截至2020年1月1日，第二阶段执行至2020年12月31日。', LABEL, '2021-01-01');
    expect(two.filter((n) => n.expired)).toHaveLength(2);
  });

  it('puts the document\'s own status first: ended, repealed or not yet in force', () => {
    const ended = doc({ expiryDate: '2021-12-31' });
    expect(timeNotices(ended, '给予补贴。', LABEL, '2022-06-01')[0]).toEqual({ kind: 'validity', expired: true, until: '2021-12-31', text: '《某某区小微企业房租补贴办法》有效期（至2021-12-31），已过期，可能已失效。' });
    const stated = doc({ expiryDate: '2021-12-31', validity: '执行期限至2021年12月31日' });
    expect(timeNotices(stated, '给予补贴。', LABEL, '2022-06-01')[0]!.text).toBe('《某某区小微企业房租补贴办法》执行期限至2021年12月31日，已过期，可能已失效。');
    // an ended document and an ended measure in the clause are both told
    expect(timeNotices(ended, '执行至2021年3月31日', LABEL, '2022-06-01').filter((n) => n.expired)).toHaveLength(2);
    expect(timeNotices(ended, '给予补贴。', LABEL, '2021-06-01').some((n) => n.expired)).toBe(false);

    const repealed = doc({ repealedBy: [{ id: 'doc-b', title: '某某区新办法', docNumber: '某政发〔2022〕2号', effectiveDate: '2022-01-01' }] });
    expect(timeNotices(repealed, '给予补贴。', LABEL, '2022-06-01')[0]).toEqual({
      kind: 'validity',
      expired: true,
      until: '2022-01-01',
      text: '《某某区小微企业房租补贴办法》已被《某某区新办法》（某政发〔2022〕2号）废止（自2022-01-01起），不再执行。',
    });
    // a repeal that takes effect later has not happened yet
    expect(timeNotices(repealed, '给予补贴。', LABEL, '2021-06-01').some((n) => n.expired)).toBe(false);

    const later = doc({ effectiveDate: '2021-04-01' });
    expect(timeNotices(later, '给予补贴。', LABEL, '2021-03-15')[0]).toEqual({ kind: 'validity', expired: false, text: '《某某区小微企业房租补贴办法》自2021-04-01起施行，尚未生效。' });
  });

  it('adds the document\'s first time statement, or its issue date when it states none', () => {
    const stated = doc({ timeStatements: ['本办法自2021年4月1日起施行。', '有效期三年。'] });
    expect(timeNotices(stated, '给予补贴。', LABEL, '2021-06-01')).toEqual([{ kind: 'validity', expired: false, text: '《某某区小微企业房租补贴办法》：本办法自2021年4月1日起施行。' }]);
    expect(timeNotices(doc(), '给予补贴。', LABEL, '2021-06-01')).toEqual([{ kind: 'validity', expired: false, text: '《某某区小微企业房租补贴办法》发布于2021-03-01。' }]);
    expect(timeNotices(doc({ issueDate: undefined }), '', LABEL, '2021-06-01')).toEqual([]);
  });

  it('speaks English when asked', () => {
    const [expired, issued] = timeNotices(doc(), '执行至2021年3月31日', LABEL, '2022-01-01', 'en');
    expect(expired!.text).toBe(`${LABEL}: a measure in it ran until 2021-03-31, which has passed; it may no longer be in force — check with the department in charge.`);
    expect(issued!.text).toBe('《某某区小微企业房租补贴办法》 was issued on 2021-03-01.');
  });
});

describe('today', () => {
  it('is the current date in ISO form', () => {
    expect(today()).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(today()).toBe(new Date().toISOString().slice(0, 10));
  });
});
