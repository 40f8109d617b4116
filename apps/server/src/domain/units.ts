export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
/** A UTC day. Local calendar days can be 23 or 25 hours long; this constant is never one of those. */
export const DAY_MS = 24 * HOUR_MS;
