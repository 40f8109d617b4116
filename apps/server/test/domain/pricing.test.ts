import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultPriceTable, majorToMinor, minorToMajor, priceOf } from '../../src/domain/pricing.js';

describe('priceOf', () => {
  it.each([
    [30, 200_000],
    [45, 300_000],
    [60, 400_000],
  ])('charges the standard price for %i minutes', (minutes, paise) => {
    expect(priceOf(defaultPriceTable, minutes, false)).toBe(paise);
  });

  it.each([
    [30, 300_000],
    [45, 450_000],
    [60, 600_000],
  ])('charges one and a half times for a premium %i minutes', (minutes, paise) => {
    expect(priceOf(defaultPriceTable, minutes, true)).toBe(paise);
  });

  it('does not price a length that is not sold', () => {
    expect(priceOf(defaultPriceTable, 90, false)).toBeNull();
    expect(priceOf(defaultPriceTable, 0, true)).toBeNull();
    expect(priceOf(defaultPriceTable, 30.5, false)).toBeNull();
  });

  it('rounds a premium price to a whole paisa', () => {
    const table = { currency: 'INR', pricesMinor: { 30: 99_999 }, premiumMultiplier: 1.15 };
    expect(priceOf(table, 30, true)).toBe(114_999); // 114 998.85
    expect(priceOf({ ...table, pricesMinor: { 30: 15 }, premiumMultiplier: 1.1 }, 30, true)).toBe(17); // 16.5
  });
});

describe('minorToMajor and majorToMinor', () => {
  it('converts paise to rupees', () => {
    expect(minorToMajor(200_050)).toBe(2000.5);
    expect(minorToMajor(1)).toBe(0.01);
  });

  it('converts rupees to whole paise', () => {
    expect(majorToMinor(2000.5)).toBe(200_050);
    expect(majorToMinor(19.99)).toBe(1999);
  });

  it('is not fooled by binary floating point', () => {
    expect(majorToMinor(0.1 + 0.2)).toBe(30);
    expect(majorToMinor(1.005)).toBe(101);
    expect(majorToMinor(4.35)).toBe(435);
  });

  it('rounds half a paisa away from zero, for refunds too', () => {
    expect(majorToMinor(0.005)).toBe(1);
    expect(majorToMinor(-0.005)).toBe(-1);
    expect(Object.is(majorToMinor(-0.001), 0)).toBe(true);
  });

  it('refuses amounts that are not numbers of money', () => {
    expect(() => majorToMinor(Number.NaN)).toThrow(RangeError);
    expect(() => minorToMajor(1.5)).toThrow(RangeError);
  });

  it('round-trips every amount of paise', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), (paise) => {
        expect(majorToMinor(minorToMajor(paise))).toBe(paise);
      }),
      { seed: 2000, numRuns: 500 },
    );
  });

  it('round-trips every rupee amount written with two decimals', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 0, max: 99 }), (rupees, paise) => {
        const written = Number(`${rupees}.${String(paise).padStart(2, '0')}`);
        expect(minorToMajor(majorToMinor(written))).toBe(written);
      }),
      { seed: 2001, numRuns: 500 },
    );
  });
});
