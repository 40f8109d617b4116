import { randomBytes, randomUUID } from 'node:crypto';
import { SpanKind, type SpanOptions } from '@opentelemetry/api';
import type { Knex } from 'knex';
import type { NotificationsConfig } from '../config.js';
import type { Database } from '../db/connection.js';
import { instantFromDb } from '../db/connection.js';
import { MINUTE_MS } from '../domain/time.js';
import { inSpan } from '../telemetry/spans.js';
import type { Logger } from './context.js';
import type { Mailer, WebhookSender } from './notification-ports.js';
import { WebhookDeliveryError } from './notification-ports.js';
import type { BookingEventPayload, BookingEventType } from './outbox.js';
import { messageHostOf, type OutboxMessages, outboxMessages } from './outbox-messages.js';
import { UNSTARTED_PAYMENT_REASON } from './payments.js';
import type { ServiceMetrics } from './service-metrics.js';

/**
 * Delivers what the outbox holds, in two steps that any number of processes may run at once:
 *
 * 1. Fan-out: each new event becomes its deliveries (the emails of both parties, their reminders,
 *    one per subscribed webhook endpoint). Each delivery has a unique key, and the event is marked in
 *    the same transaction, so a crash or a second process at the same moment adds nothing twice.
 * 2. Delivery: due deliveries are leased (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one
 *    writer) so that only one process sends each, then sent, then marked sent or rescheduled with
 *    exponential backoff and jitter; after the last try they stay `failed`, a dead letter an admin
 *    can retry. A process that dies while holding a lease loses it when the lease ends, and another
 *    sends the message: nothing committed is lost. Only a crash between a successful send and its
 *    mark can send one message twice, with the same `webhook-id` or Message-ID, so receivers can
 *    tell.
 */

export interface OutboxDeps {
  db: Database;
  now(): number;
  log: Logger;
  config: NotificationsConfig;
  /** null: email is off, and no email deliveries are made */
  mailer: Mailer | null;
  webhooks: WebhookSender;
  /** Links in emails (`…/bookings/42`) and the host part of calendar UIDs */
  publicBaseUrl: string | undefined;
  /** Where failed tries are reported; absent, they are only logged and recorded */
  metrics?: ServiceMetrics;
}

/** Retries never wait longer than this between two tries. */
const MAX_BACKOFF_MS = 60 * 60_000;
const FAN_OUT_BATCH = 200;
const DELIVERY_BATCH = 10;

interface StoredEvent {
  id: number;
  type: BookingEventType;
  booking_id: number;
  payload: string;
  occurred_at: unknown;
}

interface PlannedDelivery {
  event_id: number;
  channel: 'email' | 'webhook';
  recipient: 'student' | 'mentor' | null;
  webhook_endpoint_id: number | null;
  kind: string;
  reminder_minutes: number | null;
  dedupe_key: string;
  message_id: string;
  available_at: Date;
}

/** The emails each event sends, and to whom. */
function emailsOf(
  type: BookingEventType,
  payload: BookingEventPayload,
): Array<{ kind: string; to: 'student' | 'mentor' }> {
  const both = (kind: string) => [
    { kind, to: 'student' as const },
    { kind, to: 'mentor' as const },
  ];
  switch (type) {
    case 'booking.confirmed':
      return both('confirmed');
    case 'booking.rescheduled':
      return both('rescheduled');
    case 'booking.cancelled':
      // A hold cancelled before payment was never announced to anyone.
      return payload.was_confirmed ? both('cancelled') : [];
    case 'booking.expired':
      // A hold released because the payment provider could not be reached was answered with an
      // error at once; the student learns nothing new from an email about it.
      return payload.reason === UNSTARTED_PAYMENT_REASON ? [] : [{ kind: 'expired', to: 'student' }];
    default:
      return [];
  }
}

function messageIdFor(channel: 'email' | 'webhook', host: string): string {
  return channel === 'webhook' ? `msg_${randomBytes(12).toString('hex')}` : `<${randomUUID()}@${host}>`;
}

/** The deliveries of one event. Reminders are due before the start, and only those still ahead. */
function plan(
  deps: OutboxDeps,
  event: StoredEvent,
  endpoints: ReadonlyArray<{ id: number; events: string }>,
  host: string,
): PlannedDelivery[] {
  const payload = JSON.parse(event.payload) as BookingEventPayload;
  const occurredAt = instantFromDb(event.occurred_at);
  const planned: PlannedDelivery[] = [];
  const add = (delivery: Omit<PlannedDelivery, 'event_id' | 'message_id'>) =>
    planned.push({ ...delivery, event_id: event.id, message_id: messageIdFor(delivery.channel, host) });
  if (deps.mailer) {
    for (const email of emailsOf(event.type, payload)) {
      add({
        channel: 'email',
        recipient: email.to,
        webhook_endpoint_id: null,
        kind: email.kind,
        reminder_minutes: null,
        dedupe_key: `${event.id}:email:${email.to}`,
        available_at: new Date(occurredAt),
      });
    }
    if (event.type === 'booking.confirmed' || event.type === 'booking.rescheduled') {
      for (const minutes of deps.config.reminderOffsetsMinutes) {
        const due = payload.start - minutes * MINUTE_MS;
        if (due <= occurredAt) continue;
        for (const to of ['student', 'mentor'] as const) {
          add({
            channel: 'email',
            recipient: to,
            webhook_endpoint_id: null,
            kind: 'reminder',
            reminder_minutes: minutes,
            dedupe_key: `${event.id}:reminder:${minutes}:${to}`,
            available_at: new Date(due),
          });
        }
      }
    }
  }
  for (const endpoint of endpoints) {
    if (!(JSON.parse(endpoint.events) as string[]).includes(event.type)) continue;
    add({
      channel: 'webhook',
      recipient: null,
      webhook_endpoint_id: endpoint.id,
      kind: event.type,
      reminder_minutes: null,
      dedupe_key: `${event.id}:webhook:${endpoint.id}`,
      available_at: new Date(occurredAt),
    });
  }
  return planned;
}

/** Turns up to a batch of new events into deliveries; answers how many events it took. */
export async function fanOutEvents(deps: OutboxDeps): Promise<number> {
  const now = deps.now();
  const host = messageHostOf(deps);
  // A read first: an idle poll must not open a write transaction (SQLite's write lock, and the data
  // version that kept answers are checked against, which counts every statement that may write).
  if (!(await deps.db.knex('outbox_events').select('id').whereNull('fanned_out_at').first())) return 0;
  return deps.db.knex.transaction(async (trx) => {
    const query = trx('outbox_events')
      .select('id', 'type', 'booking_id', 'payload', 'occurred_at')
      .whereNull('fanned_out_at')
      .orderBy('id')
      .limit(FAN_OUT_BATCH);
    if (deps.db.dialect === 'pg') query.forUpdate().skipLocked();
    const events: StoredEvent[] = await query;
    if (events.length === 0) return 0;
    const endpoints = await trx('webhook_endpoints').select('id', 'events').whereNull('deleted_at');
    const deliveries = events.flatMap((event) => plan(deps, event, endpoints, host));
    const stamp = new Date(now);
    // A few hundred rows per statement keeps under SQLite's limit on bound values.
    for (let index = 0; index < deliveries.length; index += 200) {
      await trx('outbox_deliveries')
        .insert(
          deliveries
            .slice(index, index + 200)
            .map((delivery) => ({ ...delivery, status: 'pending', created_at: stamp, updated_at: stamp })),
        )
        .onConflict('dedupe_key')
        .ignore();
    }
    await trx('outbox_events')
      .whereIn(
        'id',
        events.map((event) => event.id),
      )
      .update({ fanned_out_at: stamp });
    return events.length;
  });
}

export interface LeasedDelivery {
  id: number;
  event_id: number;
  channel: 'email' | 'webhook';
  recipient: 'student' | 'mentor' | null;
  webhook_endpoint_id: number | null;
  kind: string;
  reminder_minutes: number | null;
  message_id: string;
  attempts: number;
}

/**
 * Leases up to a batch of due deliveries to this process: taken in one statement, so two processes
 * never lease the same row (PostgreSQL skips rows another is leasing; SQLite runs one writer).
 */
export async function leaseDueDeliveries(deps: OutboxDeps, owner: string): Promise<LeasedDelivery[]> {
  const now = new Date(deps.now());
  const due = deps.db
    .knex('outbox_deliveries')
    .select('id')
    .where('status', 'pending')
    .where('available_at', '<=', now)
    .where((lease) => lease.whereNull('leased_until').orWhere('leased_until', '<=', now))
    .orderBy('available_at')
    .orderBy('id')
    .limit(DELIVERY_BATCH);
  if (!(await due.clone().first())) return [];
  if (deps.db.dialect === 'pg') due.forUpdate().skipLocked();
  return deps.db.knex.transaction(
    async (trx): Promise<LeasedDelivery[]> =>
      trx('outbox_deliveries')
        .whereIn('id', due)
        .where('status', 'pending')
        .update({
          leased_until: new Date(now.getTime() + deps.config.leaseMs),
          leased_by: owner,
          attempts: trx.raw('attempts + 1'),
          updated_at: now,
        })
        .returning([
          'id',
          'event_id',
          'channel',
          'recipient',
          'webhook_endpoint_id',
          'kind',
          'reminder_minutes',
          'message_id',
          'attempts',
        ]),
  );
}

/** The wait before the next try: base × 3^(tries − 1), capped, with ±25 % jitter so retries spread. */
export function backoffMs(baseMs: number, attempts: number, random = Math.random): number {
  const raw = Math.min(MAX_BACKOFF_MS, baseMs * 3 ** Math.max(0, attempts - 1));
  return Math.round(raw * (0.75 + random() * 0.5));
}

type Outcome =
  | { result: 'sent'; durationMs: number; responseStatus: number | null }
  | {
      result: 'failed';
      durationMs: number;
      responseStatus: number | null;
      error: string;
      /** The receiver refused it for good (an SMTP 5xx): no later try can succeed */
      permanent: boolean;
    }
  | { result: 'skipped'; reason: string };

async function attempt(messages: OutboxMessages, delivery: LeasedDelivery): Promise<Outcome> {
  const started = performance.now();
  try {
    const sent = await messages.send(delivery);
    if (sent.result === 'skipped') return sent;
    return {
      result: 'sent',
      durationMs: Math.round(performance.now() - started),
      responseStatus: sent.status,
    };
  } catch (error) {
    const durationMs = Math.round(performance.now() - started);
    if (error instanceof WebhookDeliveryError) {
      // Only what HTTP calls a status is recorded as one; anything else an endpoint sends is noise.
      const status =
        error.status !== null && error.status >= 100 && error.status <= 599 ? error.status : null;
      return { result: 'failed', durationMs, responseStatus: status, error: error.message, permanent: false };
    }
    return {
      result: 'failed',
      durationMs,
      responseStatus: null,
      error: (error as Error).message ?? String(error),
      permanent: isRefusalOfTheMessage(error),
    };
  }
}

/**
 * nodemailer errors that say something about our side of the conversation (our login refused, a
 * TLS or connection failure), not about this message: even a 5xx among them (535, credentials
 * refused) ends when the sender is mended, so the message is tried again, not given up.
 */
const SENDER_FAILURES = new Set([
  'EAUTH',
  'ENOAUTH',
  'EOAUTH2',
  'ETLS',
  'EREQUIRETLS',
  'ECONNECTION',
  'ESOCKET',
  'ETIMEDOUT',
  'EDNS',
  'EPROXY',
  'ECONFIG',
]);

/** An SMTP server's 5xx refusal of this message (an unknown mailbox, refused content): for good. */
function isRefusalOfTheMessage(error: unknown): boolean {
  const { permanent, code } = error as { permanent?: unknown; code?: unknown };
  return permanent === true && !SENDER_FAILURES.has(String(code));
}

/** Writes what a try gave: sent, skipped, due again later, or a dead letter after the last try. */
async function settle(deps: OutboxDeps, delivery: LeasedDelivery, outcome: Outcome, owner: string) {
  const now = new Date(deps.now());
  const lastTry =
    outcome.result === 'failed' && (outcome.permanent || delivery.attempts >= deps.config.maxAttempts);
  // A failed try counts whether or not recording it below succeeds; as a dead letter only once this
  // process made it one (a lease lost meanwhile leaves the decision to the process that took over).
  const countFailure = (deadLetter: boolean) => {
    if (outcome.result === 'failed') deps.metrics?.deliveryFailed(delivery.channel, deadLetter);
  };
  const settled = await deps.db.knex
    .transaction(async (trx): Promise<number> => {
      const mine = (query: Knex.QueryBuilder) =>
        query.where({ id: delivery.id, leased_by: owner, status: 'pending' });
      if (outcome.result === 'skipped') {
        return trx('outbox_deliveries')
          .modify(mine)
          .update({
            status: 'skipped',
            last_error: outcome.reason.slice(0, 500),
            leased_until: null,
            updated_at: now,
          });
      }
      await trx('outbox_attempts').insert({
        delivery_id: delivery.id,
        attempted_at: now,
        duration_ms: outcome.durationMs,
        succeeded: outcome.result === 'sent',
        response_status: outcome.responseStatus,
        error: outcome.result === 'failed' ? outcome.error.slice(0, 500) : null,
      });
      if (outcome.result === 'sent') {
        return trx('outbox_deliveries')
          .modify(mine)
          .update({ status: 'sent', sent_at: now, last_error: null, leased_until: null, updated_at: now });
      }
      return trx('outbox_deliveries')
        .modify(mine)
        .update({
          status: lastTry ? 'failed' : 'pending',
          last_error: outcome.error.slice(0, 500),
          available_at: lastTry
            ? now
            : new Date(now.getTime() + backoffMs(deps.config.retryBaseMs, delivery.attempts)),
          leased_until: null,
          updated_at: now,
        });
    })
    .catch((error: unknown) => {
      countFailure(false);
      throw error;
    });
  countFailure(lastTry && settled > 0);
  const fields = {
    event: 'outbox_delivery',
    deliveryId: delivery.id,
    channel: delivery.channel,
    message: delivery.kind,
    attempt: delivery.attempts,
  };
  if (settled === 0) {
    // Its lease ran out while it was being sent, and another process took it over: that process
    // decides about it now (and may send it once more, under the same message id).
    deps.log.warn({ ...fields, outcome: outcome.result }, 'a message outlived its lease');
    return;
  }
  if (outcome.result === 'failed') {
    deps.log[lastTry ? 'error' : 'warn'](
      { ...fields, error: outcome.error },
      lastTry ? 'a message failed its last try: dead letter' : 'a message will be tried again',
    );
  } else if (outcome.result === 'sent') {
    deps.log.info(fields, 'message delivered');
  }
}

function deliverySpanOptions(delivery: LeasedDelivery): SpanOptions {
  return {
    root: true,
    kind: SpanKind.PRODUCER,
    attributes: {
      'outbox.delivery_id': delivery.id,
      'outbox.event_id': delivery.event_id,
      'outbox.channel': delivery.channel,
      'outbox.message': delivery.kind,
      'outbox.attempt': delivery.attempts,
      'messaging.message.id': delivery.message_id,
    },
  };
}

/**
 * One round: fan out new events, then send what is due. Answers whether a batch was full, so more
 * is probably waiting: only then does the next round start at once.
 */
export async function dispatchOnce(
  deps: OutboxDeps,
  messages: OutboxMessages,
  owner: string,
): Promise<boolean> {
  const fanned = await fanOutEvents(deps);
  const leased = await leaseDueDeliveries(deps, owner);
  // Every send of the round is settled before the round ends, even when one of them fails to be:
  // stopping after a round must not leave sent messages unrecorded, to be sent again.
  const settled = await Promise.allSettled(
    leased.map((delivery) =>
      // A trace of its own per try (the send's HTTP or SMTP span, the writes recording it): the
      // request that made the event has long been answered.
      inSpan('outbox delivery', deliverySpanOptions(delivery), async (span) => {
        const outcome = await attempt(messages, delivery);
        span.setAttribute('outbox.outcome', outcome.result);
        await settle(deps, delivery, outcome, owner);
      }),
    ),
  );
  for (const result of settled) {
    if (result.status === 'rejected')
      deps.log.error(
        { err: result.reason, event: 'outbox_settle_failed' },
        'a message could not be recorded',
      );
  }
  return fanned === FAN_OUT_BATCH || leased.length === DELIVERY_BATCH;
}

export interface OutboxDispatcher {
  /** Stops polling and waits for the round in progress (its sends and marks) to end. */
  stop(): Promise<void>;
}

/**
 * Runs rounds every `pollMs`, and at once again after a round that found a full batch, so a backlog
 * drains without waiting a poll per batch, while steady traffic is taken in one round per poll
 * (each round is a write: on SQLite it waits its turn among the bookings' own transactions). One
 * round at a time; a failed round is logged and retried.
 */
export function startOutboxDispatcher(deps: OutboxDeps): OutboxDispatcher {
  const owner = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const messages = outboxMessages(deps);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> = Promise.resolve();
  const schedule = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      round = (async () => {
        let busy = false;
        try {
          busy = await dispatchOnce(deps, messages, owner);
        } catch (error) {
          deps.log.error({ err: error, event: 'outbox_round_failed' }, 'an outbox round failed');
        }
        schedule(busy ? 0 : deps.config.pollMs);
      })();
    }, delayMs);
    timer.unref();
  };
  schedule(0);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await round;
      await deps.mailer?.close();
    },
  };
}
