/**
 * The races of payments (issue #13): each is run for many rounds with its contenders started together
 * (Promise.all, the two sides on two apps over one database where a second process would be), and
 * every round must end in one of the states the product allows, never in anything else. The figures
 * of how the rounds ended are printed, so the interleavings really seen can be told apart.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stripePayments } from '../../src/integrations/stripe/stripe-payments.js';
import type { Logger } from '../../src/services/context.js';
import { keepPayments, type PaymentDeps } from '../../src/services/payments.js';
import { dbClient, demo, loginAs, type TestApp } from '../support/app.js';
import {
  type PaymentsTestApp,
  sessionOfCheckout,
  startPaymentsApp,
  TEST_STRIPE_KEY,
  TEST_WEBHOOK_SECRET,
  WEBHOOK_PATH,
} from '../support/payments.js';
import type { StandInCheckoutSession } from '../support/stripe-stand-in.js';

const ROUNDS = 30;
const MINUTE = 60_000;
/** Rohan (standard, Mon–Fri 19:00–23:00 IST): Thursday 3 December 2026, 19:00 IST. */
const SLOT = { mentor_id: demo.rohan, start_time: '2026-12-03T13:30:00.000Z', duration: 30 };
/** 30 minutes with a standard mentor, in paise */
const SLOT_PRICE_MINOR = 200_000;

/** How the rounds of one race ended; a round that ends any other way fails the test at once. */
class Outcomes {
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly race: string,
    private readonly allowed: readonly string[],
  ) {
    for (const outcome of allowed) this.counts.set(outcome, 0);
  }

  record(outcome: string): void {
    expect(this.allowed, `${this.race}: a round ended "${outcome}"`).toContain(outcome);
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + 1);
  }

  total(): number {
    return [...this.counts.values()].reduce((sum, count) => sum + count, 0);
  }

  report(): void {
    const figures = [...this.counts].map(([outcome, count]) => `${count} × ${outcome}`).join('; ');
    console.log(`[payment races, ${dbClient}] ${this.race}: ${this.total()} rounds: ${figures}`);
  }
}

/** A logger for the upkeep run by hand: it keeps what it is told at error level, for the test to read. */
function recordingLogger(): Logger & { errors: object[] } {
  const errors: object[] = [];
  return { errors, info() {}, warn() {}, error: (details) => errors.push(details) };
}

/** What the upkeep of `app`'s process needs, against the same stand-in of Stripe and the same clock. */
function upkeepOf(p: PaymentsTestApp, app: TestApp, log: Logger): PaymentDeps {
  return {
    db: app.app.db,
    now: p.clock,
    log,
    payments: stripePayments({
      secretKey: TEST_STRIPE_KEY,
      webhookSecret: TEST_WEBHOOK_SECRET,
      apiBase: p.stand.apiBase,
      now: p.clock,
    }),
  };
}

interface Hold {
  id: number;
  expiresAt: number;
  session: StandInCheckoutSession;
}

/** A booking holding `slot` for `studentId`, with its checkout open at the stand-in. */
async function hold(p: PaymentsTestApp, studentId: number, app: TestApp = p.t): Promise<Hold> {
  const response = await app.api.post('/api/bookings', { ...SLOT, student_id: studentId });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  expect(response.body.booking.status).toBe('pending_payment');
  return {
    id: response.body.booking_id,
    expiresAt: Date.parse(response.body.payment.expires_at),
    session: sessionOfCheckout(p.stand, response.body.payment.checkout_url),
  };
}

/** The student pays at the stand-in; answers the `checkout.session.completed` event Stripe then sends. */
function paidEvent(p: PaymentsTestApp, session: StandInCheckoutSession): { payload: string; id: string } {
  const payload = p.stand.event('checkout.session.completed', p.stand.pay(session.id));
  return { payload, id: JSON.parse(payload).id };
}

/** Posts one event to `app`, signed as Stripe signs it (the same signed bytes may go to several apps). */
function post(app: TestApp, payload: string, signature: string): Promise<LightMyRequestResponse> {
  return app.app.inject({
    method: 'POST',
    url: WEBHOOK_PATH,
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    payload,
  });
}

function signed(p: PaymentsTestApp, payload: string): string {
  return p.stand.sign(payload, { secret: TEST_WEBHOOK_SECRET });
}

/** Runs `first` and `second` together; in odd rounds `second` is given a head start instead. */
function together<A, B>(round: number, first: () => Promise<A>, second: () => Promise<B>): Promise<[A, B]> {
  const pause = () => new Promise((resolve) => setTimeout(resolve, round % 3));
  return round % 2 === 0
    ? Promise.all([first(), pause().then(second)])
    : Promise.all([pause().then(first), second()]);
}

interface StoredState {
  booking: { status: string; cancellation_reason: string | null };
  payment: {
    status: string;
    payment_intent_id: string | null;
    paid_amount_minor: number | null;
    refund_status: string | null;
    refund_amount_minor: number | null;
    flag: string | null;
  };
}

/** What the database holds for a booking and its payment (read without any clock). */
async function storedState(t: TestApp, bookingId: number): Promise<StoredState> {
  const booking = await t.app.db
    .knex('bookings')
    .where('id', bookingId)
    .first('status', 'cancellation_reason');
  const payment = await t.app.db
    .knex('payments')
    .where('booking_id', bookingId)
    .first(
      'status',
      'payment_intent_id',
      'paid_amount_minor',
      'refund_status',
      'refund_amount_minor',
      'flag',
    );
  return {
    booking,
    payment: {
      ...payment,
      paid_amount_minor: payment.paid_amount_minor === null ? null : Number(payment.paid_amount_minor),
      refund_amount_minor: payment.refund_amount_minor === null ? null : Number(payment.refund_amount_minor),
    },
  };
}

async function eventRows(t: TestApp, eventId: string): Promise<{ outcome: string }[]> {
  return t.app.db.knex('payment_events').where('event_id', eventId).select('outcome');
}

/** Refunds the stand-in made for one PaymentIntent. */
function refundsOf(p: PaymentsTestApp, paymentIntentId: string | null): { amount: number }[] {
  return [...p.stand.refunds.values()].filter((refund) => refund.payment_intent === paymentIntentId);
}

/** The bookings that hold or have the slot (pending or confirmed), by id. */
async function bookingsOnSlot(t: TestApp): Promise<number[]> {
  const rows: { id: number }[] = await t.app.db
    .knex('bookings')
    .where({ mentor_id: SLOT.mentor_id, start_at: new Date(SLOT.start_time) })
    .whereIn('status', ['confirmed', 'pending_payment'])
    .select('id');
  return rows.map((row) => row.id);
}

/** The admin cancels whatever a round left on the slot, so the next round finds it free. */
async function cancelAsAdmin(t: TestApp, bookingId: number): Promise<void> {
  const response = await t.api.post(`/api/bookings/${bookingId}/cancel`, { reason: 'race round over' });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
}

/** Moves the clock to the next whole minute, so the next hold starts from a clean instant. */
function nextMinute(p: PaymentsTestApp): void {
  p.clock.set(Math.ceil((p.clock() + 1) / MINUTE) * MINUTE);
}

/** Two app instances on one fresh database (as two server processes), with payments on, for one race. */
function racingApps(): { p: PaymentsTestApp; twin: TestApp } {
  const apps = {} as { p: PaymentsTestApp; twin: TestApp };
  beforeAll(async () => {
    apps.p = await startPaymentsApp();
    apps.twin = await apps.p.t.twin();
  });
  afterAll(async () => {
    await apps.twin?.close();
    await apps.p?.close();
  });
  return apps;
}

describe('the paid webhook against the expiry sweep, at the instant the hold lapses', () => {
  const apps = racingApps();

  it('always ends confirmed and paid, never expired with the money kept', async () => {
    const { p, twin } = apps;
    const sweepFirst = 'sweep first (expired the hold), then the late payment retook the free slot';
    const paymentFirst = 'payment first (confirmed late), the sweep found nothing to expire';
    const outcomes = new Outcomes('1. paid webhook vs expiry sweep at the lapse (+1 ms)', [
      sweepFirst,
      paymentFirst,
    ]);
    const log = recordingLogger();
    for (let round = 0; round < ROUNDS; round += 1) {
      nextMinute(p);
      const held = await hold(p, demo.students.aarav);
      // Paid on Stripe's page a moment before the hold lapsed; the event arrives just after.
      const event = paidEvent(p, held.session);
      p.clock.set(held.expiresAt + 1);
      // The sweep runs in this process or in the other one, as any process's upkeep may.
      const sweeper = upkeepOf(p, round % 4 < 2 ? p.t : twin, log);
      const [delivered, swept] = await together(
        round,
        () => post(p.t, event.payload, signed(p, event.payload)),
        () => keepPayments(sweeper),
      );
      expect([delivered.statusCode, delivered.json()]).toEqual([200, { received: true, outcome: 'applied' }]);

      const state = await storedState(p.t, held.id);
      expect(state.booking).toEqual({ status: 'confirmed', cancellation_reason: null });
      expect(state.payment).toMatchObject({
        status: 'paid',
        paid_amount_minor: SLOT_PRICE_MINOR,
        refund_status: null,
        flag: null,
      });
      expect(refundsOf(p, state.payment.payment_intent_id)).toEqual([]);
      const view = await p.t.api.get(`/api/bookings/${held.id}`);
      expect(view.body.status).toBe('confirmed');
      expect(view.body.payment).toMatchObject({ status: 'paid', refund: null });
      expect(await eventRows(p.t, event.id)).toEqual([{ outcome: 'applied: confirmed late' }]);
      expect(swept.expired).toBeLessThanOrEqual(1);
      outcomes.record(swept.expired === 1 ? sweepFirst : paymentFirst);
      await cancelAsAdmin(p.t, held.id);
    }
    expect(log.errors).toEqual([]);
    outcomes.report();
  });
});

describe('the same event at two app instances at once', () => {
  const apps = racingApps();

  it('applies it once: one instance answers applied, the other duplicate, one row in payment_events', async () => {
    const { p, twin } = apps;
    const outcomes = new Outcomes('2. one signed event at two instances at once', [
      'applied by the first instance, duplicate at the second',
      'applied by the second instance, duplicate at the first',
    ]);
    for (let round = 0; round < ROUNDS; round += 1) {
      const held = await hold(p, demo.students.diya);
      const event = paidEvent(p, held.session);
      const signature = signed(p, event.payload);
      const [atFirst, atSecond] = await together(
        round,
        () => post(p.t, event.payload, signature),
        () => post(twin, event.payload, signature),
      );
      expect([atFirst.statusCode, atSecond.statusCode]).toEqual([200, 200]);
      const answers = [atFirst.json().outcome, atSecond.json().outcome];
      expect([...answers].sort()).toEqual(['applied', 'duplicate']);

      expect(await eventRows(p.t, event.id)).toEqual([{ outcome: 'applied: confirmed' }]);
      const state = await storedState(p.t, held.id);
      expect(state.booking.status).toBe('confirmed');
      expect(state.payment).toMatchObject({ status: 'paid', refund_status: null });
      // Taken as paid once: nothing was refunded.
      expect(refundsOf(p, state.payment.payment_intent_id)).toEqual([]);
      outcomes.record(
        answers[0] === 'applied'
          ? 'applied by the first instance, duplicate at the second'
          : 'applied by the second instance, duplicate at the first',
      );
      await cancelAsAdmin(p.t, held.id);
    }
    outcomes.report();
  });
});

describe('a payment after the hold lapsed, the slot taken meanwhile', () => {
  const apps = racingApps();

  it('with the slot taken meanwhile: the late payer keeps the slot or gets every paisa back, never both', async () => {
    const { p, twin } = apps;
    const paymentFirst = 'payment first: late payer confirmed, the other student refused slot_taken';
    const otherFirst = 'other student first: holds the slot, late payer expired and refunded in full';
    const outcomes = new Outcomes('3a. late payment vs another student booking the lapsed slot', [
      paymentFirst,
      otherFirst,
    ]);
    const { aarav: late, diya: other } = demo.students;
    for (let round = 0; round < ROUNDS; round += 1) {
      nextMinute(p);
      const held = await hold(p, late);
      const event = paidEvent(p, held.session);
      p.clock.set(held.expiresAt + 5 * MINUTE);
      // The other student asks through the other instance, as another server process would.
      const [delivered, booked] = await together(
        round,
        () => post(p.t, event.payload, signed(p, event.payload)),
        () => twin.api.post('/api/bookings', { ...SLOT, student_id: other }),
      );
      // Neither side may fail: a lost race is a 409 for the student and a refund for the payer.
      expect(
        { webhook: delivered.statusCode, booking: booked.status },
        `round ${round}: ${delivered.body} / ${JSON.stringify(booked.body)}`,
      ).not.toSatisfy((statuses: { webhook: number; booking: number }) =>
        Object.values(statuses).some((status) => status >= 500),
      );
      expect([delivered.statusCode, delivered.json()]).toEqual([200, { received: true, outcome: 'applied' }]);
      const state = await storedState(p.t, held.id);
      if (booked.status === 201) {
        expect(booked.body.booking.status).toBe('pending_payment');
        expect(state.booking).toEqual({
          status: 'expired',
          cancellation_reason: expect.stringContaining('refunded in full'),
        });
        expect(state.payment).toMatchObject({
          status: 'refunded',
          paid_amount_minor: SLOT_PRICE_MINOR,
          refund_status: 'succeeded',
          refund_amount_minor: SLOT_PRICE_MINOR,
        });
        expect(refundsOf(p, state.payment.payment_intent_id)).toEqual([
          expect.objectContaining({ amount: SLOT_PRICE_MINOR }),
        ]);
        expect(await eventRows(p.t, event.id)).toEqual([{ outcome: 'applied: refunded' }]);
        const view = await p.t.api.get(`/api/bookings/${held.id}`);
        expect(view.body).toMatchObject({ status: 'expired', payment: { status: 'refunded' } });
        expect(view.body.payment.refund).toMatchObject({ status: 'succeeded', amount: 2000 });
        outcomes.record(otherFirst);
      } else {
        expect([booked.status, booked.body.code]).toEqual([409, 'slot_taken']);
        expect(state.booking).toEqual({ status: 'confirmed', cancellation_reason: null });
        expect(state.payment).toMatchObject({ status: 'paid', refund_status: null });
        expect(refundsOf(p, state.payment.payment_intent_id)).toEqual([]);
        expect(await eventRows(p.t, event.id)).toEqual([{ outcome: 'applied: confirmed late' }]);
        outcomes.record(paymentFirst);
      }
      // Never two sessions on the slot: exactly one booking of it holds or has it, the winner's.
      const winner = booked.status === 201 ? booked.body.booking_id : held.id;
      expect(await bookingsOnSlot(p.t)).toEqual([winner]);
      await cancelAsAdmin(p.t, winner);
    }
    outcomes.report();
  });
});

describe('a payment after the hold lapsed, the slot still free', () => {
  const apps = racingApps();

  it('with the slot still free: confirms it, whether the sweep or another instance got there first', async () => {
    const { p, twin } = apps;
    const sweepFirst = 'sweep first (expired the hold), then the payment retook the free slot';
    const paymentFirst = 'payment first (confirmed late), the sweep found nothing to expire';
    const outcomes = new Outcomes('3b. late payment (10 min after the lapse) vs the sweep, slot free', [
      sweepFirst,
      paymentFirst,
    ]);
    const log = recordingLogger();
    for (let round = 0; round < ROUNDS; round += 1) {
      nextMinute(p);
      const held = await hold(p, demo.students.kabir);
      const event = paidEvent(p, held.session);
      p.clock.set(held.expiresAt + 10 * MINUTE);
      const [delivered, swept] = await together(
        round,
        () => post(round % 4 < 2 ? p.t : twin, event.payload, signed(p, event.payload)),
        () => keepPayments(upkeepOf(p, round % 4 < 2 ? twin : p.t, log)),
      );
      expect([delivered.statusCode, delivered.json()]).toEqual([200, { received: true, outcome: 'applied' }]);
      const state = await storedState(p.t, held.id);
      expect(state.booking).toEqual({ status: 'confirmed', cancellation_reason: null });
      expect(state.payment).toMatchObject({ status: 'paid', refund_status: null, flag: null });
      expect(refundsOf(p, state.payment.payment_intent_id)).toEqual([]);
      expect(await eventRows(p.t, event.id)).toEqual([{ outcome: 'applied: confirmed late' }]);
      outcomes.record(swept.expired === 1 ? sweepFirst : paymentFirst);
      await cancelAsAdmin(p.t, held.id);
    }
    expect(log.errors).toEqual([]);
    outcomes.report();
  });
});

describe('students racing for a slot that a third one holds', () => {
  const RACE_ROUNDS = 20;
  const RACERS = 5;
  const apps = racingApps();
  let racers: number[];
  beforeAll(async () => {
    racers = [];
    for (let index = 0; index < RACERS; index += 1) {
      const created = await apps.p.t.api.post('/api/students', {
        name: `Racer ${index}`,
        email: `payment-racer-${index}@example.com`,
      });
      expect(created.status).toBe(201);
      racers.push(created.body.id);
    }
  });

  it('refuses both while the hold is live; once it lapses exactly one of N wins', async () => {
    const { p, twin } = apps;
    const winners = new Outcomes(
      `4. ${RACERS} students racing for a slot whose hold just lapsed (after 2 refused while it was live)`,
      racers.map((_, index) => `racer ${index + 1} won, ${RACERS - 1} got 409 slot_taken`),
    );
    const book = (studentId: number, index: number) =>
      (index % 2 === 0 ? p.t : twin).api.post('/api/bookings', { ...SLOT, student_id: studentId });
    for (let round = 0; round < RACE_ROUNDS; round += 1) {
      nextMinute(p);
      const held = await hold(p, demo.students.saanvi);

      const whileLive = await Promise.all(racers.slice(0, 2).map(book));
      expect(whileLive.map((answer) => [answer.status, answer.body.code])).toEqual([
        [409, 'slot_taken'],
        [409, 'slot_taken'],
      ]);

      p.clock.set(held.expiresAt + 1);
      // A different racer starts first each round.
      const order = racers.map((_, index) => (index + round) % RACERS);
      const answers = new Array(RACERS);
      await Promise.all(
        order.map(async (index) => {
          answers[index] = await book(racers[index] as number, index + round);
        }),
      );
      const won = answers.flatMap((answer, index) => (answer.status === 201 ? [index] : []));
      expect(won).toHaveLength(1);
      const losers = answers.filter((answer) => answer.status !== 201);
      expect(losers.map((answer) => [answer.status, answer.body.code])).toEqual(
        losers.map(() => [409, 'slot_taken']),
      );
      const winner = answers[won[0] as number];
      expect(winner.body.booking.status).toBe('pending_payment');
      expect(await bookingsOnSlot(p.t)).toEqual([winner.body.booking_id]);
      expect((await storedState(p.t, held.id)).booking.status).toBe('expired');
      winners.record(`racer ${(won[0] as number) + 1} won, ${RACERS - 1} got 409 slot_taken`);
      await cancelAsAdmin(p.t, winner.body.booking_id);
    }
    winners.report();
  });
});

describe("the paid webhook against the student's own cancel of the pending booking", () => {
  const apps = racingApps();
  let asAarav: Record<string, string>;
  beforeAll(async () => {
    asAarav = await loginAs(apps.p.t.api, 'aarav.sharma@example.com');
  });

  it('ends cancelled with exactly one full refund: the money is never kept', async () => {
    const { p, twin } = apps;
    const paymentFirst = 'payment first: confirmed, then cancelled and refunded';
    const cancelFirst = 'cancel first: the late payment was refunded';
    const outcomes = new Outcomes('5. paid webhook vs the student cancelling the pending booking', [
      paymentFirst,
      cancelFirst,
    ]);
    for (let round = 0; round < ROUNDS; round += 1) {
      const held = await hold(p, demo.students.aarav);
      const event = paidEvent(p, held.session);
      const [delivered, cancelled] = await together(
        round,
        () => post(p.t, event.payload, signed(p, event.payload)),
        () => twin.api.post(`/api/bookings/${held.id}/cancel`, { reason: 'changed my mind' }, asAarav),
      );
      expect([delivered.statusCode, delivered.json()]).toEqual([200, { received: true, outcome: 'applied' }]);
      expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
      expect(cancelled.body.status).toBe('cancelled');

      const state = await storedState(p.t, held.id);
      expect(state.booking.status).toBe('cancelled');
      expect(state.payment).toMatchObject({
        status: 'refunded',
        paid_amount_minor: SLOT_PRICE_MINOR,
        refund_status: 'succeeded',
        refund_amount_minor: SLOT_PRICE_MINOR,
      });
      expect(refundsOf(p, state.payment.payment_intent_id)).toEqual([
        expect.objectContaining({ amount: SLOT_PRICE_MINOR }),
      ]);
      const view = await p.t.api.get(`/api/bookings/${held.id}`, asAarav);
      expect(view.body).toMatchObject({ status: 'cancelled', payment: { status: 'refunded' } });
      expect(view.body.payment.refund).toMatchObject({ status: 'succeeded', amount: 2000 });

      const [row] = await eventRows(p.t, event.id);
      if (row?.outcome === 'applied: confirmed') {
        // The cancel answered after the confirmation: it shows the refund it asked for.
        expect(cancelled.body.payment).toMatchObject({ status: 'refunded' });
        outcomes.record(paymentFirst);
      } else {
        expect(row).toEqual({ outcome: 'applied: refunded' });
        // The cancel reads the booking back after closing the checkout: by then the payment may
        // have arrived and been marked for its refund.
        expect(['expired', 'refunded']).toContain(cancelled.body.payment.status);
        outcomes.record(cancelFirst);
      }
    }
    outcomes.report();
  });
});
