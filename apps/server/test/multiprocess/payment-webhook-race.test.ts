/**
 * The same signed Stripe event delivered to two real server processes at the same moment, round
 * after round, on one PostgreSQL schema and on one SQLite file: exactly one process applies it, the
 * other answers it as a duplicate, and the booking is confirmed once. The stand-in of Stripe's API
 * runs in this test process; every server process is pointed at it with the same STRIPE_* settings.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_STRIPE_KEY, TEST_WEBHOOK_SECRET, WEBHOOK_PATH } from '../support/payments.js';
import { createTestSchema, dropTestSchema, pgKnexFor, pgSkipReason, pgTestUrl } from '../support/postgres.js';
import { type StripeStandIn, startStripeStandIn } from '../support/stripe-stand-in.js';
import { Cluster } from './booking-race.js';
import { type ServerProcess, startCluster, stopCluster } from './cluster.js';

const ROUNDS = 40;
const DURATION = 30;
/** Starts closer than this to now are skipped: the minimum notice (2 h) must still hold when booking. */
const SAFETY_MS = 150 * 60_000;

/**
 * Payments on, against the stand-in. Not as production: production refuses STRIPE_API_BASE, the
 * address of a stand-in, so these processes run as a development deployment does.
 */
function paymentsEnvOf(stand: StripeStandIn): Record<string, string> {
  return {
    NODE_ENV: 'development',
    PAYMENT_PROVIDER: 'stripe',
    STRIPE_SECRET_KEY: TEST_STRIPE_KEY,
    STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    STRIPE_API_BASE: stand.apiBase,
    PUBLIC_BASE_URL: 'https://sessions.example.test',
  };
}

/** Posts the same bytes with the same signature, as Stripe's retry or a second endpoint would. */
async function deliver(url: string, payload: string, signature: string) {
  const response = await fetch(`${url}${WEBHOOK_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    body: payload,
  });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // kept as text: a non-JSON answer is itself a finding
  }
  return { status: response.status, body };
}

async function runWebhookRace(
  label: string,
  servers: ServerProcess[],
  stand: StripeStandIn,
  knex: Knex,
): Promise<void> {
  const cluster = new Cluster(servers.map((server) => server.url));
  const [first, second] = servers;
  if (!first || !second) throw new Error('two server processes are needed');
  const student = await cluster.ok(0, 'POST', '/api/students', {
    name: 'Paying Student',
    email: `paying-${label}@example.com`,
  });
  const mentors = (await cluster.ok(0, 'GET', '/api/mentors?is_premium=false')) as { id: number }[];
  // The servers run on the real clock: the slot is read from them, never assumed.
  let slot: { mentorId: number; start: string } | null = null;
  for (const mentor of mentors) {
    const open = await cluster.ok(0, 'GET', `/api/mentors/${mentor.id}/slots?duration=${DURATION}`);
    const start = (open.slots as { start_time: string }[])
      .map((candidate) => candidate.start_time)
      .find((candidate) => Date.parse(candidate) >= Date.now() + SAFETY_MS);
    if (start) {
      slot = { mentorId: mentor.id, start };
      break;
    }
  }
  if (!slot) throw new Error('no standard mentor has an open slot this week');

  const appliedBy = { first: 0, second: 0 };
  const began = Date.now();
  for (let round = 0; round < ROUNDS; round += 1) {
    // Each round books the slot again: the previous round's booking was cancelled and refunded.
    const created = await cluster.call(round, 'POST', '/api/bookings', {
      student_id: student.id,
      mentor_id: slot.mentorId,
      start_time: slot.start,
      duration: DURATION,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const bookingId: number = created.body.booking_id;
    const session = [...stand.sessions.values()].find(
      (candidate) => candidate.url === created.body.payment.checkout_url,
    );
    if (!session) throw new Error(`the stand-in has no checkout for booking ${bookingId}`);
    const payload = stand.event('checkout.session.completed', stand.pay(session.id));
    const eventId: string = JSON.parse(payload).id;
    const signature = stand.sign(payload, { secret: TEST_WEBHOOK_SECRET });

    // Both at once; the process whose request leaves first alternates between rounds.
    const order = round % 2 === 0 ? [first, second] : [second, first];
    const sent = await Promise.all(order.map((server) => deliver(server.url, payload, signature)));
    const answers = round % 2 === 0 ? sent : [...sent].reverse();
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    const outcomes = answers.map((answer) => answer.body.outcome as string);
    expect([...outcomes].sort()).toEqual(['applied', 'duplicate']);
    if (outcomes[0] === 'applied') appliedBy.first += 1;
    else appliedBy.second += 1;

    // The database agrees: one event row, one confirmation, the payment paid and not refunded.
    const events = await knex('payment_events').where('event_id', eventId).select('outcome');
    expect(events).toEqual([{ outcome: 'applied: confirmed' }]);
    const booking = await knex('bookings').where('id', bookingId).first('status');
    expect(booking.status).toBe('confirmed');
    const payment = await knex('payments').where('booking_id', bookingId).first('status', 'refund_status');
    expect(payment).toEqual({ status: 'paid', refund_status: null });
    const seen = await cluster.ok(round + 1, 'GET', `/api/bookings/${bookingId}`);
    expect([seen.status, seen.payment.status]).toEqual(['confirmed', 'paid']);

    const cancelled = await cluster.ok(round + 1, 'POST', `/api/bookings/${bookingId}/cancel`, {
      reason: 'race round over',
    });
    expect(cancelled.payment).toMatchObject({ status: 'refunded', refund: { status: 'succeeded' } });
  }
  const elapsed = Date.now() - began;
  console.log(
    `[multiprocess ${label}] one signed event to 2 processes at once, ${ROUNDS} rounds in ${elapsed} ms: ` +
      `applied by process 1 in ${appliedBy.first}, by process 2 in ${appliedBy.second}; the other answered ` +
      'duplicate every time; each booking confirmed once',
  );
  const refunds = [...stand.refunds.values()];
  expect(refunds).toHaveLength(ROUNDS);
  expect(new Set(refunds.map((refund) => refund.payment_intent)).size).toBe(ROUNDS);
  expect(servers.flatMap((server) => server.errorLines)).toEqual([]);
}

describe.skipIf(!pgTestUrl)(
  `the same webhook at two server processes on one PostgreSQL schema${pgTestUrl ? '' : ` (${pgSkipReason})`}`,
  () => {
    let schema: string;
    let stand: StripeStandIn;
    let servers: ServerProcess[] = [];
    let knex: Knex;

    beforeAll(async () => {
      stand = await startStripeStandIn(TEST_STRIPE_KEY);
      schema = await createTestSchema();
      knex = pgKnexFor(schema);
      servers = await startCluster(2, 'pg-payments', {
        ...paymentsEnvOf(stand),
        DB_CLIENT: 'pg',
        DATABASE_URL: pgTestUrl as string,
        DB_SCHEMA: schema,
      });
    });
    afterAll(async () => {
      await stopCluster(servers);
      await knex?.destroy();
      if (schema) await dropTestSchema(schema);
      await stand?.close();
    });

    it('is applied by exactly one process, answered duplicate by the other, and confirms once', async () => {
      await runWebhookRace('pg', servers, stand, knex);
    });
  },
);

describe('the same webhook at two server processes on one SQLite file', () => {
  let dir: string;
  let stand: StripeStandIn;
  let servers: ServerProcess[] = [];
  let knex: Knex;

  beforeAll(async () => {
    stand = await startStripeStandIn(TEST_STRIPE_KEY);
    dir = mkdtempSync(join(tmpdir(), 'mentor-scheduling-payments-'));
    const filename = join(dir, 'shared.sqlite');
    servers = await startCluster(2, 'sqlite-payments', {
      ...paymentsEnvOf(stand),
      DB_CLIENT: 'better-sqlite3',
      DB_FILENAME: filename,
    });
    knex = knexFactory({ client: 'better-sqlite3', connection: { filename }, useNullAsDefault: true });
  });
  afterAll(async () => {
    await stopCluster(servers);
    await knex?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await stand?.close();
  });

  it('is applied by exactly one process, answered duplicate by the other, and confirms once', async () => {
    await runWebhookRace('sqlite', servers, stand, knex);
  });
});
