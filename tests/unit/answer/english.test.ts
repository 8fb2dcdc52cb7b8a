import { describe, expect, it } from 'vitest';
import { englishDate, englishFigures, largeNumber, parseNumber } from '../../../src/answer/english.ts';

describe('English figures of a Chinese passage', () => {
  it('reads Arabic and simple Chinese numerals', () => {
    expect(parseNumber('15')).toBe(15);
    expect(parseNumber('1.5')).toBe(1.5);
    expect(parseNumber('十')).toBe(10);
    expect(parseNumber('十五')).toBe(15);
    expect(parseNumber('二十')).toBe(20);
    expect(parseNumber('三十五')).toBe(35);
    expect(parseNumber('七')).toBe(7);
    expect(parseNumber('几')).toBeUndefined();
  });

  it('renders amounts, periods, dates and shares in order, each once', () => {
    expect(largeNumber(3_000_000)).toBe('3 million');
    expect(largeNumber(500_000)).toBe('500,000');
    expect(englishFigures('给予最高300万元补贴，每年不超过1000万元，补贴比例30%，执行至2021年3月31日。')).toEqual(['CNY 3 million', 'CNY 10 million', '30%', '31 March 2021']);
    expect(englishFigures('应当自接到投诉之日起十个工作日内作出处理，至少3个月，100亿美元额度')).toEqual(['10 working days', '3 months', 'USD 10 billion']);
    expect(englishFigures('5日内办结；3年内有效')).toEqual(['within 5 days', '3 years']);
    expect(englishFigures('优化营商环境')).toEqual([]);
    expect(englishDate('2021-02-05')).toBe('5 February 2021');
  });
});
