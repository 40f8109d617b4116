import type {
  OperationInput,
  Operations,
  Page,
  WebhookAttempt,
  WebhookEndpoint,
  WebhookEventType,
} from '@mentor-scheduling/contracts';
import { instantFromDb } from '../db/connection.js';
import { toIsoUtc } from '../domain/time.js';
import type { ServiceContext } from './context.js';
import { AppError } from './errors.js';
import { decodeCursor, encodeCursor } from './inputs.js';

/** Third parties' subscriptions to booking events: what admins add, list and remove. */

interface EndpointRow {
  id: number;
  url: string;
  events: string;
  description: string | null;
  created_at: unknown;
}

function presentEndpoint(row: EndpointRow): WebhookEndpoint {
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.events) as WebhookEventType[],
    description: row.description,
    created_at: toIsoUtc(instantFromDb(row.created_at)),
  };
}

const endpointColumns = ['id', 'url', 'events', 'description', 'created_at'];

export async function createWebhookEndpoint(
  ctx: ServiceContext,
  input: OperationInput<Operations['webhooks']['create']>,
) {
  const refusal = ctx.webhooks.destinationRefusal(input.url);
  if (refusal)
    throw new AppError('webhook_url_refused', `Webhooks cannot be delivered to ${input.url}: ${refusal}`);
  const secret = ctx.webhooks.newSecret();
  const events = [...new Set(input.events)];
  const [inserted] = await ctx.db
    .knex('webhook_endpoints')
    .insert({
      url: input.url,
      events: JSON.stringify(events),
      secret,
      description: input.description ?? null,
      created_at: new Date(ctx.now()),
    })
    .returning('id');
  const id: number = typeof inserted === 'object' ? inserted.id : inserted;
  ctx.log.info(
    { event: 'webhook_endpoint_created', endpointId: id, actor: ctx.actor.label },
    'webhook endpoint added',
  );
  const row: EndpointRow = await ctx.db
    .knex('webhook_endpoints')
    .select(endpointColumns)
    .where('id', id)
    .first();
  return { ...presentEndpoint(row), secret };
}

export async function listWebhookEndpoints(ctx: ServiceContext) {
  const rows: EndpointRow[] = await ctx.db
    .knex('webhook_endpoints')
    .select(endpointColumns)
    .whereNull('deleted_at')
    .orderBy('id');
  return rows.map(presentEndpoint);
}

async function liveEndpoint(ctx: ServiceContext, id: number): Promise<EndpointRow> {
  const row: EndpointRow | undefined = await ctx.db
    .knex('webhook_endpoints')
    .select(endpointColumns)
    .where('id', id)
    .whereNull('deleted_at')
    .first();
  if (!row) throw new AppError('not_found', `Webhook endpoint ${id} does not exist`);
  return row;
}

/** Stops deliveries to the endpoint, retries included; its attempts stay on record. */
export async function deleteWebhookEndpoint(
  ctx: ServiceContext,
  input: OperationInput<Operations['webhooks']['delete']>,
) {
  const row = await liveEndpoint(ctx, input.id);
  const now = new Date(ctx.now());
  await ctx.db.knex.transaction(async (trx) => {
    await trx('webhook_endpoints').where('id', row.id).update({ deleted_at: now });
    await trx('outbox_deliveries')
      .where({ webhook_endpoint_id: row.id, status: 'pending' })
      .update({ status: 'skipped', last_error: 'the endpoint was deleted', updated_at: now });
  });
  ctx.log.info(
    { event: 'webhook_endpoint_deleted', endpointId: row.id, actor: ctx.actor.label },
    'webhook endpoint removed',
  );
  return presentEndpoint(row);
}

export async function listWebhookAttempts(
  ctx: ServiceContext,
  input: OperationInput<Operations['webhooks']['attempts']>,
): Promise<Page<WebhookAttempt>> {
  const exists = await ctx.db.knex('webhook_endpoints').select('id').where('id', input.id).first();
  if (!exists) throw new AppError('not_found', `Webhook endpoint ${input.id} does not exist`);
  const query = ctx.db
    .knex('outbox_attempts')
    .join('outbox_deliveries', 'outbox_deliveries.id', 'outbox_attempts.delivery_id')
    .join('outbox_events', 'outbox_events.id', 'outbox_deliveries.event_id')
    .select(
      'outbox_attempts.id',
      'outbox_attempts.delivery_id',
      'outbox_events.type as event_type',
      'outbox_events.booking_id',
      'outbox_deliveries.message_id',
      'outbox_attempts.attempted_at',
      'outbox_attempts.succeeded',
      'outbox_attempts.response_status',
      'outbox_attempts.error',
      'outbox_attempts.duration_ms',
    )
    .where('outbox_deliveries.webhook_endpoint_id', input.id)
    .orderBy('outbox_attempts.id', 'desc')
    .limit(input.limit + 1);
  if (input.cursor !== undefined) {
    const [beforeId] = decodeCursor(input.cursor, ['id']) as [number];
    query.where('outbox_attempts.id', '<', beforeId);
  }
  const rows = await query;
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => ({
      id: row.id,
      delivery_id: row.delivery_id,
      event_type: row.event_type,
      booking_id: row.booking_id,
      webhook_id: row.message_id,
      attempted_at: toIsoUtc(instantFromDb(row.attempted_at)),
      succeeded: Boolean(row.succeeded),
      response_status: row.response_status,
      error: row.error,
      duration_ms: row.duration_ms,
    })),
    nextCursor: rows.length > input.limit && last ? encodeCursor([last.id]) : null,
  };
}
