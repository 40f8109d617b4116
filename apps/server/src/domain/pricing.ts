export interface PriceTable {
  /** ISO 4217 code; amounts are in its minor unit (paise for INR). */
  currency: string;
  /** Session length in minutes → price in minor units. */
  pricesMinor: Record<number, number>;
  premiumMultiplier: number;
}

export const defaultPriceTable: Readonly<PriceTable> = Object.freeze({
  currency: 'INR',
  pricesMinor: Object.freeze({ 30: 200_000, 45: 300_000, 60: 400_000 }),
  premiumMultiplier: 1.5,
});

/**
 * Rounds half away from zero after discarding binary noise: 1.005 * 100 is 100.49999999999999 in
 * floating point but means 100.5, and money must round the way a person doing it by hand would.
 * Fifteen significant digits is what a double represents faithfully.
 */
function roundToInteger(amount: number): number {
  const cleaned = Number(amount.toPrecision(15));
  return Math.sign(cleaned) * Math.round(Math.abs(cleaned)) + 0;
}

/** Price in minor units, or null when sessions of that length are not sold. */
export function priceOf(table: PriceTable, durationMinutes: number, isPremium: boolean): number | null {
  if (!Object.hasOwn(table.pricesMinor, durationMinutes)) return null;
  const base = table.pricesMinor[durationMinutes];
  if (base === undefined) return null;
  return isPremium ? roundToInteger(base * table.premiumMultiplier) : base;
}

/** Paise → rupees, for display and for APIs that speak in major units. */
export function minorToMajor(minor: number): number {
  if (!Number.isSafeInteger(minor)) throw new RangeError(`Minor units must be an integer, got ${minor}`);
  return minor / 100;
}

/** Rupees → paise, rounded to a whole paisa. */
export function majorToMinor(major: number): number {
  if (!Number.isFinite(major)) throw new RangeError(`Amount must be finite, got ${major}`);
  return roundToInteger(major * 100);
}
