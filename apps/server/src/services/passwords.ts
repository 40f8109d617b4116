import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import { AppError } from './errors.js';

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const BLOCK_SIZE = 8;

/**
 * scrypt's cost: memory grows with N (128·N·r bytes), CPU with N·p. OWASP counts N=2^17, p=1 and
 * N=2^15, p=3 as equally strong; the second needs 32 MiB a hash instead of 128, which is what lets
 * a process with a 128 MB heap stay under 200 MB while it checks a password.
 */
export interface ScryptCost {
  log2N: number;
  parallelism: number;
}

function derive(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  const N = 2 ** cost.log2N;
  const options: ScryptOptions = {
    N,
    r: BLOCK_SIZE,
    p: cost.parallelism,
    maxmem: 256 * N * BLOCK_SIZE + 256 * cost.parallelism * BLOCK_SIZE,
  };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

const HIGHEST_LOG2N = 20;
const HIGHEST_PARALLELISM = 16;

/**
 * `scrypt$<log2N>$<p>$<salt>$<key>`; hashes made before p was recorded read `scrypt$<log2N>$<salt>$<key>`
 * (p = 1). The cost travels with the hash, so it can change later without breaking stored ones.
 */
function formatHash(cost: ScryptCost, salt: Buffer, key: Buffer): string {
  return ['scrypt', cost.log2N, cost.parallelism, salt.toString('base64url'), key.toString('base64url')].join(
    '$',
  );
}

function parseHash(stored: string): { cost: ScryptCost; salt: Buffer; key: Buffer } | null {
  const parts = stored.split('$');
  if (parts[0] !== 'scrypt' || (parts.length !== 4 && parts.length !== 5)) return null;
  const [log2N, parallelism, salt, key] =
    parts.length === 5 ? parts.slice(1) : [parts[1], '1', parts[2], parts[3]];
  const cost = { log2N: Number(log2N), parallelism: Number(parallelism) };
  // A stored hash names its own cost; one outside these bounds would let a bad row stall the process.
  const sane =
    Number.isInteger(cost.log2N) &&
    cost.log2N >= 1 &&
    cost.log2N <= HIGHEST_LOG2N &&
    Number.isInteger(cost.parallelism) &&
    cost.parallelism >= 1 &&
    cost.parallelism <= HIGHEST_PARALLELISM;
  if (!sane || !salt || !key) return null;
  return { cost, salt: Buffer.from(salt, 'base64url'), key: Buffer.from(key, 'base64url') };
}

export async function hashPassword(password: string, cost: ScryptCost): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  return formatHash(cost, salt, await derive(password, salt, cost));
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const actual = await derive(password, parsed.salt, parsed.cost);
  return actual.length === parsed.key.length && timingSafeEqual(actual, parsed.key);
}

/** Whether a stored hash was made at another cost than the current one (it is then made anew at login). */
export function needsRehash(stored: string, cost: ScryptCost): boolean {
  const parsed = parseHash(stored);
  return !parsed || parsed.cost.log2N !== cost.log2N || parsed.cost.parallelism !== cost.parallelism;
}

export interface PasswordHashingLimits {
  /** scrypt cost of new hashes: N = 2^log2N (memory 128·N·8 bytes per hash: 32 MiB at 15), p lanes */
  scrypt: ScryptCost;
  /** Hashes run at once */
  hashConcurrency: number;
  /** Hashes that may wait for a turn */
  hashQueue: number;
}

/**
 * Every password hash of the process goes through here: at most `hashConcurrency` run at once and
 * at most `hashQueue` wait; beyond that the request is refused with 503 at once. A hash costs a
 * large block of memory outside the JavaScript heap and most of a core for a good part of a second,
 * so without the bound a burst of logins exhausts memory and delays every other login by the
 * length of the burst.
 */
export class PasswordHasher {
  readonly #limits: PasswordHashingLimits;
  readonly #waiting: (() => void)[] = [];
  #running = 0;
  /** A mean of recent hash durations, to tell a refused caller when to come back */
  #typicalHashMs = 0;
  readonly counters = { hashes: 0, refused: 0, peakRunning: 0 };
  /**
   * Stands for a password when there is no account: checking against it costs one real hash and
   * never matches (a random key), so an unknown email takes as long as a wrong password.
   */
  readonly #decoy: string;

  constructor(limits: PasswordHashingLimits) {
    this.#limits = limits;
    this.#decoy = formatHash(limits.scrypt, randomBytes(SALT_LENGTH), randomBytes(KEY_LENGTH));
  }

  hash(password: string): Promise<string> {
    return this.#inTurn(() => hashPassword(password, this.#limits.scrypt));
  }

  verify(password: string, stored: string): Promise<boolean> {
    return this.#inTurn(() => verifyPassword(password, stored));
  }

  async verifyAgainstDecoy(password: string): Promise<false> {
    await this.verify(password, this.#decoy);
    return false;
  }

  async #inTurn<T>(work: () => Promise<T>): Promise<T> {
    await this.#turn();
    const started = performance.now();
    this.counters.hashes += 1;
    try {
      return await work();
    } finally {
      const took = performance.now() - started;
      this.#typicalHashMs = this.#typicalHashMs === 0 ? took : 0.8 * this.#typicalHashMs + 0.2 * took;
      this.#running -= 1;
      // Hand the slot straight to the next waiter, so a newcomer cannot take it in between.
      const next = this.#waiting.shift();
      if (next) {
        this.#running += 1;
        next();
      }
    }
  }

  #turn(): Promise<void> {
    if (this.#running < this.#limits.hashConcurrency) {
      this.#running += 1;
      this.counters.peakRunning = Math.max(this.counters.peakRunning, this.#running);
      return Promise.resolve();
    }
    if (this.#waiting.length >= this.#limits.hashQueue) {
      this.counters.refused += 1;
      throw new AppError('service_busy', 'Too many password checks are waiting; retry shortly', {
        headers: { 'retry-after': String(this.#secondsUntilAQueueSlot()) },
      });
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Roughly when the hashes ahead will have made room: what `Retry-After` says. */
  #secondsUntilAQueueSlot(): number {
    const ahead = this.#running + this.#waiting.length;
    const ms = (this.#typicalHashMs * ahead) / this.#limits.hashConcurrency;
    return Math.max(1, Math.ceil(ms / 1000));
  }
}
