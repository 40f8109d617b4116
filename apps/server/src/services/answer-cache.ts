import { LRUCache } from 'lru-cache';
import { MINUTE_MS } from '../domain/time.js';
import type { ServiceContext } from './context.js';

/**
 * Answers of read operations whose computation is costly (a mentors page computes every mentor's
 * open slots), kept while nothing that could change them has changed.
 *
 * An answer is reused only under the same data version (see `Database.dataVersion`: any write by
 * this process or another invalidates every answer) and within the same clock minute. Time enters
 * these answers only through comparisons of whole-minute instants (slot starts on the local grid,
 * availability boundaries, sessions) with `now` plus whole minutes (notice, horizon, the default
 * window), so they cannot change while `now` moves inside an open minute (m, m + 1 min); the exact
 * minute mark `m` is a bucket of its own because comparisons there may fall the other way.
 */
export class AnswerCache {
  readonly #answers: LRUCache<string, { version: string; answer: object }>;

  /**
   * `maxBytes` bounds what the kept answers hold in memory (estimated, see `approximateBytes`), so
   * that no sequence of requests can grow the heap without bound: large answers push out older ones,
   * and an answer larger than a quarter of the budget is served without being kept.
   */
  constructor(maxBytes = DEFAULT_MAX_BYTES) {
    this.#answers = new LRUCache({
      maxSize: maxBytes,
      maxEntrySize: Math.floor(maxBytes / 4),
      sizeCalculation: (entry, key) => approximateBytes(entry.answer) + 2 * key.length,
    });
  }

  /** Estimated bytes held by the kept answers. */
  get keptBytes(): number {
    return this.#answers.calculatedSize;
  }

  /**
   * The kept answer for `key`, or the one `compute` gives, kept. `compute` gets the context with its
   * clock stopped at the instant that chose the minute, so the answer is that minute's answer.
   */
  async through<T extends object>(
    ctx: ServiceContext,
    key: string,
    compute: (ctx: ServiceContext) => Promise<T>,
  ): Promise<T> {
    const at = withClockStopped(ctx);
    // First the version, then the data: an answer may be fresher than its version, never older.
    const version = await at.db.dataVersion();
    if (version === null) return compute(at);
    const now = at.now();
    const minute = Math.floor(now / MINUTE_MS);
    const bucketedKey = `${key}@${minute}${now % MINUTE_MS === 0 ? '' : '+'}`;
    const kept = this.#answers.get(bucketedKey);
    if (kept && kept.version === version) return kept.answer as T;
    const answer = deepFreeze(await compute(at));
    this.#answers.set(bucketedKey, { version, answer });
    return answer;
  }
}

/** A tenth of the production heap (128 MB old space). */
const DEFAULT_MAX_BYTES = 12 * 1024 * 1024;

/**
 * Roughly what a JSON-like value costs on the heap, with the encoded JSON that the REST and tRPC
 * layers each keep beside a shared answer (see http/answer-json.ts): one walk, cheaper than
 * serialising it. Overestimates rather than under.
 */
export function approximateBytes(value: unknown): number {
  if (typeof value === 'string') return 24 + 4 * value.length;
  if (typeof value !== 'object' || value === null) return 16;
  let bytes = 32;
  for (const child of Object.values(value)) bytes += 16 + approximateBytes(child);
  return bytes;
}

const stoppedClocks = new WeakSet<ServiceContext>();

/**
 * The context with `now()` fixed at one instant for the rest of the request, so that everything an
 * answer says about time (its window, notice, horizon, the minute it is kept for) agrees.
 */
export function withClockStopped(ctx: ServiceContext): ServiceContext {
  if (stoppedClocks.has(ctx)) return ctx;
  const instant = ctx.now();
  const stopped = { ...ctx, now: () => instant };
  stoppedClocks.add(stopped);
  return stopped;
}

/** Answers are shared between requests: frozen, so that no caller can alter another's. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
