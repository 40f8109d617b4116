import type { Database } from '../db/connection.js';
import { instantFromDb } from '../db/connection.js';

/** How far the outbox is behind, for the operators' metrics. */
export interface OutboxBacklog {
  /**
   * Age in seconds of the oldest message that is due and not yet delivered: an event not yet fanned
   * out (due from when it happened) or a pending delivery (due from its `available_at`, so a retry
   * waiting out its backoff does not count until its time comes). 0 when nothing is waiting.
   */
  lagSeconds: number;
  /** Deliveries that failed their last try: dead letters an admin must look at */
  deadLetters: number;
}

/**
 * Reads the backlog with three queries that each walk one index (migration 008's partial indexes of
 * events to fan out and of pending deliveries by due time, and the status index), so it stays cheap
 * however much the outbox has sent.
 */
export async function outboxBacklogOf(db: Database, now: number): Promise<OutboxBacklog> {
  const knex = db.knex;
  const [oldestEvent, oldestDue, dead] = await Promise.all([
    knex('outbox_events').select('occurred_at').whereNull('fanned_out_at').orderBy('id').first(),
    knex('outbox_deliveries')
      .select('available_at')
      .where('status', 'pending')
      .where('available_at', '<=', new Date(now))
      .orderBy('available_at')
      .first(),
    knex('outbox_deliveries').where('status', 'failed').count({ count: '*' }).first(),
  ]);
  const dueSince = [oldestEvent?.occurred_at, oldestDue?.available_at]
    .filter((value) => value !== undefined && value !== null)
    .map(instantFromDb);
  const oldest = dueSince.length > 0 ? Math.min(...dueSince) : now;
  return {
    lagSeconds: Math.max(0, (now - oldest) / 1000),
    deadLetters: Number(dead?.count ?? 0),
  };
}
