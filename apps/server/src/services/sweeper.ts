import type { Knex } from 'knex';
import type { Database } from '../db/connection.js';
import type { Logger } from './context.js';
import { KEY_LIFETIME_MS } from './idempotency.js';
import { type Repeating, repeatEvery } from './repeating.js';

const HOUR = 60 * 60_000;
/**
 * Expired and revoked tokens are kept this long after they stopped working, so that "why was I
 * logged out" can still be answered from the table for a while; then they are deleted.
 */
export const SPENT_TOKEN_RETENTION_MS = 24 * HOUR;
/** Rows deleted per statement: each delete is short, so it never holds SQLite's write lock for long. */
const BATCH = 500;
/** Batches per table per run: a big backlog is worked off over several runs instead of in one burst. */
const MAX_BATCHES = 20;

export interface SweepResult {
  tokens: number;
  loginAttempts: number;
  idempotencyKeys: number;
}

/**
 * Deletes what no rule reads any more: tokens a day past their expiry or revocation, login-attempt
 * windows that have ended, and idempotency keys older than the time they are honoured for. Each
 * delete is idempotent, so several processes sweeping at once only repeat each other's work.
 */
export async function sweepExpired(db: Database, now: number): Promise<SweepResult> {
  const knex = db.knex;
  const spentBefore = new Date(now - SPENT_TOKEN_RETENTION_MS);
  return {
    tokens: await deleteInBatches(knex, 'auth_tokens', ['id'], (query) =>
      query.where((spent) =>
        spent.where('expires_at', '<', spentBefore).orWhere('revoked_at', '<', spentBefore),
      ),
    ),
    loginAttempts: await deleteInBatches(knex, 'login_attempts', ['email_normalized', 'client'], (query) =>
      query.where('window_ends_at', '<=', new Date(now)),
    ),
    idempotencyKeys: await deleteInBatches(knex, 'idempotency_keys', ['scope', 'key'], (query) =>
      query.where('created_at', '<', new Date(now - KEY_LIFETIME_MS)),
    ),
  };
}

async function deleteInBatches(
  knex: Knex,
  table: string,
  key: string[],
  spent: (query: Knex.QueryBuilder) => Knex.QueryBuilder,
): Promise<number> {
  let deleted = 0;
  for (let batch = 0; batch < MAX_BATCHES; batch += 1) {
    const rows = await spent(knex(table).select(key)).limit(BATCH);
    if (rows.length === 0) break;
    // By primary key, and only while still spent: a row another process deleted meanwhile is not
    // found, and one renewed meanwhile (a new login window, an idempotency key used afresh) is kept.
    const count = await spent(
      knex(table).whereIn(
        key,
        rows.map((row: Record<string, unknown>) => key.map((column) => row[column])),
      ),
    ).delete();
    deleted += count;
    if (rows.length < BATCH) break;
  }
  return deleted;
}

/**
 * Sweeps once now and then every `intervalMs`, on a timer that does not keep the process alive.
 * A failed sweep is logged and tried again at the next turn.
 */
export function startSweeper(db: Database, now: () => number, intervalMs: number, log: Logger): Repeating {
  return repeatEvery(
    intervalMs,
    async () => {
      const result = await sweepExpired(db, now());
      if (result.tokens + result.loginAttempts + result.idempotencyKeys > 0)
        log.info({ event: 'sweep', deleted: result }, 'deleted expired rows');
    },
    (error) => log.warn({ event: 'sweep_failed', err: error }, 'sweeping expired rows failed'),
  );
}
