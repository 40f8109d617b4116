import type { OperationInput, Operations, OutboxDelivery, Page } from '@mentor-scheduling/contracts';
import type { Knex } from 'knex';
import { instantFromDb } from '../db/connection.js';
import { toIsoUtc } from '../domain/time.js';
import type { ServiceContext } from './context.js';
import { AppError } from './errors.js';
import { decodeCursor, encodeCursor } from './inputs.js';

/** What admins see of the outbox: every message, the dead letters among them, and a second chance. */

const deliveryColumns = [
  'outbox_deliveries.id',
  'outbox_events.type as event_type',
  'outbox_events.booking_id',
  'outbox_deliveries.channel',
  'outbox_deliveries.recipient',
  'outbox_deliveries.webhook_endpoint_id',
  'outbox_deliveries.kind',
  'outbox_deliveries.status',
  'outbox_deliveries.attempts',
  'outbox_deliveries.last_error',
  'outbox_deliveries.available_at',
  'outbox_deliveries.sent_at',
  'outbox_deliveries.created_at',
];

function deliveries(db: Knex) {
  return db('outbox_deliveries')
    .join('outbox_events', 'outbox_events.id', 'outbox_deliveries.event_id')
    .select(deliveryColumns);
}

function presentDelivery(row: Record<string, unknown>): OutboxDelivery {
  const instantOrNull = (value: unknown) => (value === null ? null : toIsoUtc(instantFromDb(value)));
  return {
    id: row.id as number,
    event_type: row.event_type as OutboxDelivery['event_type'],
    booking_id: row.booking_id as number,
    channel: row.channel as OutboxDelivery['channel'],
    recipient: row.recipient as OutboxDelivery['recipient'],
    webhook_endpoint_id: row.webhook_endpoint_id as number | null,
    message: row.kind as string,
    status: row.status as OutboxDelivery['status'],
    attempts: row.attempts as number,
    last_error: row.last_error as string | null,
    next_attempt_at: row.status === 'pending' ? instantOrNull(row.available_at) : null,
    sent_at: instantOrNull(row.sent_at),
    created_at: toIsoUtc(instantFromDb(row.created_at)),
  };
}

export async function listOutbox(
  ctx: ServiceContext,
  input: OperationInput<Operations['outbox']['list']>,
): Promise<Page<OutboxDelivery>> {
  const query = deliveries(ctx.db.knex)
    .orderBy('outbox_deliveries.id', 'desc')
    .limit(input.limit + 1);
  if (input.status !== undefined) query.where('outbox_deliveries.status', input.status);
  if (input.channel !== undefined) query.where('outbox_deliveries.channel', input.channel);
  if (input.booking_id !== undefined) query.where('outbox_events.booking_id', input.booking_id);
  if (input.cursor !== undefined) {
    const [beforeId] = decodeCursor(input.cursor, ['id']) as [number];
    query.where('outbox_deliveries.id', '<', beforeId);
  }
  const rows = await query;
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: page.map(presentDelivery),
    nextCursor: rows.length > input.limit && last ? encodeCursor([last.id]) : null,
  };
}

/** A dead letter (or a skipped message) back to `pending`, due now, with a fresh round of tries. */
export async function retryDelivery(
  ctx: ServiceContext,
  input: OperationInput<Operations['outbox']['retry']>,
) {
  const now = new Date(ctx.now());
  const retried = await ctx.db
    .knex('outbox_deliveries')
    .where('id', input.id)
    .whereIn('status', ['failed', 'skipped'])
    .update({
      status: 'pending',
      attempts: 0,
      available_at: now,
      leased_until: null,
      leased_by: null,
      updated_at: now,
    });
  const row = await deliveries(ctx.db.knex).where('outbox_deliveries.id', input.id).first();
  if (!row) throw new AppError('not_found', `Outbox message ${input.id} does not exist`);
  if (retried === 0)
    throw new AppError(
      'delivery_not_retryable',
      `Outbox message ${input.id} is ${row.status}, not failed or skipped`,
    );
  ctx.log.info(
    { event: 'outbox_retry', deliveryId: input.id, actor: ctx.actor.label },
    'outbox message sent again',
  );
  return presentDelivery(row);
}
