import { describe, expect, it } from 'vitest';
import { feeFormatter, horizonOf, payback, paybackSentence } from '../../shared/rules/tiering-payback.js';

describe('tiering payback', () => {
  it('pays back in the first month whose cumulative savings cover the one-time cost', () => {
    expect(payback(10, 25, 3)).toEqual({ paybackMonth: 3, paysBack: true, yearNet: 95 });
    expect(payback(10, 30, 3)).toEqual({ paybackMonth: 3, paysBack: true, yearNet: 90 });
    expect(payback(10, 31, 3)).toEqual({ paybackMonth: 4, paysBack: false, yearNet: 89 });
    expect(payback(10, 0, 1)).toEqual({ paybackMonth: 1, paysBack: true, yearNet: 120 });
  });

  it('never pays back when a month saves nothing or the year is not enough', () => {
    expect(payback(0, 0, 12)).toEqual({ paysBack: false, yearNet: 0 });
    expect(payback(-1, 0, 12)).toEqual({ paysBack: false, yearNet: -12 });
    expect(payback(1, 12.5, 12)).toEqual({ paysBack: false, yearNet: -0.5 });
  });

  it('follows savings that change month by month, never counting a losing month', () => {
    expect(payback([-5, 5, 20, 20], 10, 3)).toEqual({ paybackMonth: 3, paysBack: true, yearNet: 30 });
    expect(payback([30, -40, 20], 10, 3)).toEqual({ paybackMonth: 1, paysBack: true, yearNet: 0 });
  });

  it('rounds a minimum duration up to whole months, at least one', () => {
    expect([0, 1, 30, 31, 90, 180, 365].map(horizonOf)).toEqual([1, 1, 1, 2, 3, 6, 13]);
  });

  it('says why in the evidence', () => {
    const fmt = feeFormatter('USD');
    expect(paybackSentence(payback(10, 25, 3), '90 d', fmt)).toBe('pays back in month 3, within 90 d; first year $95.00');
    expect(paybackSentence(payback(10, 31, 3), '90 d', fmt)).toBe('does not pay back within 90 d (month 4); first year $89.00');
    expect(paybackSentence(payback(-1, 0, 3), '90 d', fmt, ' (fees exceed it)')).toBe('does not pay back within 90 d (fees exceed it); first year $-12.00');
    expect(fmt(0.0125)).toBe('$0.0125');
    expect(fmt(0.01)).toBe('$0.01');
  });
});
