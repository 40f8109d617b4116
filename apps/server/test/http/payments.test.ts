/**
 * The payment flow of issue #13 end to end: the real app (REST and tRPC), the real Stripe adapter
 * (the official SDK) and a loopback stand-in of Stripe's API, with webhooks signed as Stripe signs them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instantFromDb } from '../../src/db/connection.js';
import { stripePayments } from '../../src/integrations/stripe/stripe-payments.js';
import { keepPayments } from '../../src/services/payments.js';
import {
  anonymously,
  booking,
  callTrpc,
  demo,
  loginAs,
  NOW,
  startTestApp,
  type TestApp,
} from '../support/app.js';
import {
  type PaymentsTestApp,
  sessionOfCheckout,
  startPaymentsApp,
  TEST_STRIPE_KEY,
  TEST_WEBHOOK_SECRET,
  testClock,
  WEBHOOK_PATH,
} from '../support/payments.js';
import type { StandInCheckoutSession } from '../support/stripe-stand-in.js';

const { aarav, diya, kabir, saanvi } = demo.students;
const MINUTE = 60_000;
const ROHAN_30_MIN_PAISE = 200_000;
/** Priya is premium: a 30-minute session costs 2000 INR × 1.5. */
const PRIYA_30_MIN_PAISE = 300_000;
const UNSTARTED_REASON =
  'The payment provider could not be reached, so the booking was not held; nothing was charged';
const LATE_TAKEN_REASON =
  'Paid after the hold expired, when the slot had been taken meanwhile: the payment is refunded in full';

async function book(
  p: PaymentsTestApp,
  overrides: Record<string, unknown>,
  headers?: Record<string, string>,
) {
  return p.t.api.post('/api/bookings', booking(overrides), headers);
}

/** Books and expects the hold; answers the booking's id and its checkout URL. */
async function hold(p: PaymentsTestApp, overrides: Record<string, unknown>) {
  const response = await book(p, overrides);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  expect(response.body.booking.status).toBe('pending_payment');
  return {
    id: response.body.booking_id as number,
    checkoutUrl: response.body.payment.checkout_url as string,
  };
}

/** The student pays the booking's checkout at the stand-in, and Stripe tells the app. */
async function pay(
  p: PaymentsTestApp,
  checkoutUrl: string,
  options: { id?: string; amountTotal?: number; currency?: string } = {},
) {
  const { id, ...paid } = options;
  const session = p.stand.pay(sessionOfCheckout(p.stand, checkoutUrl).id, paid);
  const delivered = await p.deliver('checkout.session.completed', session, id ? { id } : {});
  return { session, delivered };
}

/** Holds a slot and pays for it: a confirmed, paid booking. */
async function paidBooking(p: PaymentsTestApp, overrides: Record<string, unknown>) {
  const held = await hold(p, overrides);
  const { session, delivered } = await pay(p, held.checkoutUrl);
  expect(delivered.json()).toEqual({ received: true, outcome: 'applied' });
  return { ...held, session };
}

async function bookingOf(p: PaymentsTestApp, id: number) {
  const response = await p.t.api.get(`/api/bookings/${id}`);
  expect(response.status).toBe(200);
  return response.body;
}

async function paymentRowOf(p: PaymentsTestApp, bookingId: number) {
  return p.t.app.db.knex('payments').where('booking_id', bookingId).first();
}

/** The refund's retry key at the provider: derived from the payment (its id and creation instant). */
function refundKeyOf(payment: { id: number; created_at: unknown }): string {
  return `payment-${payment.id}-${instantFromDb(payment.created_at)}-refund`;
}

async function bookingRowOf(p: PaymentsTestApp, bookingId: number) {
  return p.t.app.db.knex('bookings').where('id', bookingId).first();
}

/** Everything a webhook could change about a booking, to prove one changed nothing. */
async function stateOf(p: PaymentsTestApp, bookingId: number) {
  const events = await p.t.app.db.knex('payment_events').count({ count: '*' }).first();
  return {
    booking: await bookingOf(p, bookingId),
    bookingRow: await bookingRowOf(p, bookingId),
    paymentRow: await paymentRowOf(p, bookingId),
    events: Number(events?.count),
    refunds: p.stand.refunds.size,
  };
}

function checkoutCreations(p: PaymentsTestApp) {
  return p.stand.requests.filter(
    (request) => request.method === 'POST' && request.path === '/v1/checkout/sessions',
  );
}

function refundRequests(p: PaymentsTestApp) {
  return p.stand.requests.filter((request) => request.method === 'POST' && request.path === '/v1/refunds');
}

/** Posts raw bytes to the webhook, as anyone on the internet could. */
function postWebhook(p: PaymentsTestApp | { t: TestApp }, payload: string, headers: Record<string, string>) {
  return p.t.api.request({
    method: 'POST',
    url: WEBHOOK_PATH,
    payload,
    headers: { ...anonymously, 'content-type': 'application/json', ...headers },
  });
}

/** Runs the payments upkeep once, as the app's timer would, with the app's clock. */
function upkeep(p: PaymentsTestApp) {
  const quiet = { info() {}, warn() {}, error() {} };
  return keepPayments({
    db: p.t.app.db,
    now: p.clock,
    log: quiet,
    payments: stripePayments({
      secretKey: TEST_STRIPE_KEY,
      webhookSecret: TEST_WEBHOOK_SECRET,
      apiBase: p.stand.apiBase,
      now: p.clock,
    }),
  });
}

/** Enough failures in front of the stand-in to outlast the SDK's own retries (it tries 3 times). */
const SDK_ATTEMPTS = 3;

/** Rohan's free starts (Mon–Fri 19:00–23:00 Asia/Kolkata), one per call, so tests sharing an app never collide. */
function rohanSlots(days: string[]) {
  const starts = days.flatMap((day) =>
    ['19:00', '19:30', '20:00', '20:30', '21:00', '21:30', '22:00', '22:30'].map(
      (time) => `${day}T${time}:00`,
    ),
  );
  return () => {
    const next = starts.shift();
    if (!next) throw new Error('No free slot left for this describe block');
    return next;
  };
}

describe('hold, then confirm', () => {
  let p: PaymentsTestApp;
  beforeAll(async () => {
    p = await startPaymentsApp();
  });
  afterAll(() => p.close());

  const priyaSlotsOnDecember1 = async () =>
    (
      await p.t.api.get(`/api/mentors/${demo.priya}/slots?from=2026-12-01T00:00:00&to=2026-12-01T23:59:00`)
    ).body.slots.map((slot: { start_time: string }) => slot.start_time);

  it('holds the slot, opens a Stripe checkout for the price in paise, and confirms on the paid webhook', async () => {
    const sessionAt = '2026-12-01T14:30:00.000Z';
    expect(await priyaSlotsOnDecember1()).toContain(sessionAt);
    const response = await book(p, { mentor_id: demo.priya, start_time: '2026-12-01T20:00:00' });
    expect(response.status).toBe(201);
    const checkoutUrl: string = response.body.payment.checkout_url;
    const payment = {
      provider: 'stripe',
      status: 'pending',
      amount: 3000,
      currency: 'INR',
      checkout_url: expect.stringMatching(/^https:\/\/checkout\.stripe\.test\/c\/pay\/cs_test_/),
      expires_at: '2026-12-01T00:30:00.000Z',
      paid_at: null,
      refund: null,
    };
    expect(response.body).toEqual({
      message: 'Booking held until paid',
      booking_id: response.body.booking.id,
      booking: {
        id: response.body.booking_id,
        student_id: aarav,
        mentor_id: demo.priya,
        student_name: 'Aarav Sharma',
        mentor_name: 'Priya Nair',
        area_of_expertise: null,
        start_time: sessionAt,
        end_time: '2026-12-01T15:00:00.000Z',
        duration: 30,
        cost: 3000,
        currency: 'INR',
        status: 'pending_payment',
        cancellation_reason: null,
        payment,
        created_at: '2026-12-01T00:00:00.000Z',
        updated_at: '2026-12-01T00:00:00.000Z',
      },
      payment,
    });
    expect(response.body.booking.payment.checkout_url).toBe(checkoutUrl);
    const bookingId: number = response.body.booking_id;

    const creations = checkoutCreations(p);
    expect(creations).toHaveLength(1);
    // Derived from the booking (its id and creation instant), so every attempt for it sends the same key.
    const reference = `booking-${bookingId}-${instantFromDb((await bookingRowOf(p, bookingId)).created_at)}`;
    expect(creations[0]?.idempotencyKey).toBe(`${reference}-checkout`);
    expect(creations[0]?.body).toMatchObject({
      mode: 'payment',
      line_items: [
        { quantity: '1', price_data: { currency: 'inr', unit_amount: String(PRIYA_30_MIN_PAISE) } },
      ],
      metadata: { booking_id: String(bookingId), booking_reference: reference },
      success_url: `https://sessions.example.test/bookings/${bookingId}?payment=done`,
      cancel_url: `https://sessions.example.test/bookings/${bookingId}?payment=cancelled`,
    });
    const session = sessionOfCheckout(p.stand, checkoutUrl);
    expect(session.expires_at * 1000).toBeGreaterThanOrEqual(NOW + 30 * MINUTE);
    expect([session.mode, session.currency, session.amount_total]).toEqual([
      'payment',
      'inr',
      PRIYA_30_MIN_PAISE,
    ]);

    // While the hold is live, nobody else gets the time, nor the student another session at it.
    const other = await book(p, {
      student_id: diya,
      mentor_id: demo.priya,
      start_time: '2026-12-01T20:15:00',
    });
    expect([other.status, other.body.code]).toEqual([409, 'slot_taken']);
    const elsewhere = await book(p, { mentor_id: demo.rohan, start_time: '2026-12-01T20:00:00' });
    expect([elsewhere.status, elsewhere.body.code]).toEqual([409, 'student_busy']);
    expect(await priyaSlotsOnDecember1()).not.toContain(sessionAt);
    expect(checkoutCreations(p)).toHaveLength(1);

    const { delivered } = await pay(p, checkoutUrl);
    expect([delivered.statusCode, delivered.json()]).toEqual([200, { received: true, outcome: 'applied' }]);
    const confirmed = await bookingOf(p, bookingId);
    expect(confirmed).toMatchObject({ status: 'confirmed', cancellation_reason: null });
    expect(confirmed.payment).toEqual({
      ...payment,
      status: 'paid',
      checkout_url: null,
      paid_at: new Date(NOW).toISOString(),
    });
    const row = await paymentRowOf(p, bookingId);
    expect(row).toMatchObject({
      status: 'paid',
      checkout_session_id: session.id,
      payment_intent_id: expect.stringMatching(/^pi_/),
      paid_currency: 'INR',
    });
    expect(Number(row.paid_amount_minor)).toBe(PRIYA_30_MIN_PAISE);
  });

  it('holds through tRPC bookings.create too, with the checkout URL', async () => {
    const before = checkoutCreations(p).length;
    const created = await callTrpc(
      p.t.app,
      'mutation',
      'bookings.create',
      booking({ student_id: kabir, start_time: '2026-12-02T19:00:00' }),
    );
    expect(created.status).toBe(200);
    expect(created.data).toMatchObject({
      message: 'Booking held until paid',
      booking: { status: 'pending_payment', cost: 2000 },
      payment: { provider: 'stripe', status: 'pending', amount: 2000, checkout_url: expect.any(String) },
    });
    expect(created.data.booking.payment).toEqual(created.data.payment);
    const session = sessionOfCheckout(p.stand, created.data.payment.checkout_url);
    expect([session.amount_total, session.metadata]).toEqual([
      ROHAN_30_MIN_PAISE,
      { booking_id: String(created.data.booking_id), booking_reference: expect.any(String) },
    ]);
    expect(checkoutCreations(p)).toHaveLength(before + 1);
    const read = await callTrpc(p.t.app, 'query', 'bookings.get', { id: created.data.booking_id });
    expect(read.data.payment).toEqual(created.data.payment);
  });

  it('answers a retry with the same Idempotency-Key with the same checkout, opening one session and one booking', async () => {
    const before = checkoutCreations(p).length;
    const bookingsBefore = await p.t.app.db.knex('bookings').count({ count: '*' }).first();
    const request = booking({ student_id: kabir, start_time: '2026-12-02T20:00:00' });
    const key = { 'idempotency-key': 'kabir-2-dec-20h' };
    const first = await p.t.api.post('/api/bookings', request, key);
    const second = await p.t.api.post('/api/bookings', request, key);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(first.body.payment.checkout_url).toEqual(expect.any(String));
    expect(checkoutCreations(p)).toHaveLength(before + 1);
    const bookingsAfter = await p.t.app.db.knex('bookings').count({ count: '*' }).first();
    expect(Number(bookingsAfter?.count)).toBe(Number(bookingsBefore?.count) + 1);
  });

  it('releases the hold when Stripe cannot be reached, answers 503 with Retry-After, and books afresh on a retry', async () => {
    const request = booking({ start_time: '2026-12-03T19:00:00' });
    const key = { 'idempotency-key': 'aarav-3-dec-19h' };
    const sent = p.stand.requests.length;
    p.stand.failNext(SDK_ATTEMPTS);
    const refused = await p.t.api.post('/api/bookings', request, key);
    p.stand.failNext(0);
    expect([refused.status, refused.body.code]).toEqual([503, 'payment_unavailable']);
    expect(refused.headers['retry-after']).toBe('60');
    expect(p.stand.requests.length - sent).toBe(SDK_ATTEMPTS);

    const released = await p.t.api.get(`/api/bookings?student_id=${aarav}&status=expired`);
    expect(released.body).toHaveLength(1);
    expect(released.body[0]).toMatchObject({
      start_time: '2026-12-03T13:30:00.000Z',
      status: 'expired',
      cancellation_reason: UNSTARTED_REASON,
      payment: { status: 'expired', checkout_url: null },
    });
    // The slot is free again: another student can hold it.
    const taken = await book(p, { student_id: diya, start_time: '2026-12-03T19:00:00' });
    expect(taken.status).toBe(201);
    await p.t.api.post(`/api/bookings/${taken.body.booking_id}/cancel`, {});

    // The key was forgotten with the hold: the same request, with Stripe back, books afresh.
    const retried = await p.t.api.post('/api/bookings', request, key);
    expect(retried.status).toBe(201);
    expect(retried.body.booking_id).not.toBe(released.body[0].id);
    expect(retried.body.payment).toMatchObject({ status: 'pending', checkout_url: expect.any(String) });
    expect(sessionOfCheckout(p.stand, retried.body.payment.checkout_url).metadata).toEqual({
      booking_id: String(retried.body.booking_id),
      booking_reference: expect.stringMatching(new RegExp(`^booking-${retried.body.booking_id}-\\d+$`)),
    });
  });
  it('answers 503 too when Stripe refuses the checkout outright, asking it once', async () => {
    const sent = p.stand.requests.length;
    p.stand.failNext(1, 400);
    const refused = await book(p, { student_id: diya, start_time: '2026-12-04T19:00:00' });
    p.stand.failNext(0);
    expect([refused.status, refused.body.code]).toEqual([503, 'payment_unavailable']);
    expect(p.stand.requests.length - sent).toBe(1);
    const released = await p.t.api.get(`/api/bookings?student_id=${diya}&status=expired`);
    expect(released.body.map((b: { start_time: string }) => b.start_time)).toContain(
      '2026-12-04T13:30:00.000Z',
    );
    expect((await book(p, { student_id: kabir, start_time: '2026-12-04T19:00:00' })).status).toBe(201);
  });

  it('lists a live hold under status pending_payment and not under confirmed', async () => {
    const held = await hold(p, { student_id: saanvi, start_time: '2026-12-04T20:00:00' });
    const pending = await p.t.api.get(`/api/bookings?student_id=${saanvi}&status=pending_payment`);
    expect(pending.status).toBe(200);
    expect(pending.body.map((b: { id: number }) => b.id)).toEqual([held.id]);
    expect(pending.body[0].payment).toMatchObject({ status: 'pending', checkout_url: held.checkoutUrl });
    const confirmed = await p.t.api.get(`/api/bookings?student_id=${saanvi}&status=confirmed`);
    expect(confirmed.body).toEqual([]);
  });
});

describe('the Stripe webhook', () => {
  let p: PaymentsTestApp;
  const nextSlot = rohanSlots(['2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04']);
  beforeAll(async () => {
    p = await startPaymentsApp();
  });
  afterAll(() => p.close());

  const holdNext = () => hold(p, { start_time: nextSlot() });

  /** A paid checkout event for the booking, signed by `sign` instead of by Stripe's secret. */
  const paidEventOf = (checkoutUrl: string) =>
    p.stand.event('checkout.session.completed', p.stand.pay(sessionOfCheckout(p.stand, checkoutUrl).id));

  it('refuses a forged signature (wrong secret) with 400 and changes nothing', async () => {
    const held = await holdNext();
    const before = await stateOf(p, held.id);
    const session = p.stand.pay(sessionOfCheckout(p.stand, held.checkoutUrl).id);
    const forged = await p.deliver('checkout.session.completed', session, {
      secret: 'whsec_notStripesSecret',
    });
    expect([forged.statusCode, forged.json().code]).toEqual([400, 'invalid_signature']);
    expect(await stateOf(p, held.id)).toEqual(before);
  });

  it('refuses a missing signature with 400 and changes nothing', async () => {
    const held = await holdNext();
    const before = await stateOf(p, held.id);
    const refused = await postWebhook(p, paidEventOf(held.checkoutUrl), {});
    expect([refused.status, refused.body.code]).toEqual([400, 'invalid_signature']);
    expect(await stateOf(p, held.id)).toEqual(before);
  });

  it('refuses a stale signature (signed 10 minutes before the app’s clock) with 400', async () => {
    const held = await holdNext();
    const before = await stateOf(p, held.id);
    const payload = paidEventOf(held.checkoutUrl);
    const signature = p.stand.sign(payload, {
      secret: TEST_WEBHOOK_SECRET,
      timestamp: Math.floor((p.clock() - 10 * MINUTE) / 1000),
    });
    const refused = await postWebhook(p, payload, { 'stripe-signature': signature });
    expect([refused.status, refused.body.code]).toEqual([400, 'invalid_signature']);
    expect(await stateOf(p, held.id)).toEqual(before);
  });

  it('refuses a body changed after signing with 400', async () => {
    const held = await holdNext();
    const before = await stateOf(p, held.id);
    const payload = paidEventOf(held.checkoutUrl);
    const signature = p.stand.sign(payload, { secret: TEST_WEBHOOK_SECRET });
    const tampered = payload.replace(`"amount_total":${ROHAN_30_MIN_PAISE}`, '"amount_total":100');
    expect(tampered).not.toBe(payload);
    const refused = await postWebhook(p, tampered, { 'stripe-signature': signature });
    expect([refused.status, refused.body.code]).toEqual([400, 'invalid_signature']);
    expect(await stateOf(p, held.id)).toEqual(before);
  });

  it('refuses a body that is not JSON with 400 invalid_signature, signed or not, never 500', async () => {
    const payload = '{"id": "evt_broken", "type": checkout';
    const unsigned = await postWebhook(p, payload, { 'stripe-signature': 't=1,v1=00' });
    expect([unsigned.status, unsigned.body.code]).toEqual([400, 'invalid_signature']);
    const signed = await postWebhook(p, payload, {
      'stripe-signature': p.stand.sign(payload, { secret: TEST_WEBHOOK_SECRET }),
    });
    expect([signed.status, signed.body.code]).toEqual([400, 'invalid_signature']);
  });

  it('refuses a text/plain body with 415', async () => {
    const held = await holdNext();
    const payload = paidEventOf(held.checkoutUrl);
    const refused = await postWebhook(p, payload, {
      'content-type': 'text/plain',
      'stripe-signature': p.stand.sign(payload, { secret: TEST_WEBHOOK_SECRET }),
    });
    expect(refused.status).toBe(415);
    expect((await bookingOf(p, held.id)).status).toBe('pending_payment');
  });

  it('answers a replayed event id 200 duplicate and changes nothing, whatever the replay carries', async () => {
    const held = await holdNext();
    const { delivered } = await pay(p, held.checkoutUrl, { id: 'evt_replayed_once' });
    expect(delivered.json()).toEqual({ received: true, outcome: 'applied' });
    const before = await stateOf(p, held.id);
    const replay = await p.deliver(
      'checkout.session.completed',
      sessionOfCheckout(p.stand, held.checkoutUrl),
      {
        id: 'evt_replayed_once',
      },
    );
    expect([replay.statusCode, replay.json()]).toEqual([200, { received: true, outcome: 'duplicate' }]);
    const expiredUnderSameId = await p.deliver(
      'checkout.session.expired',
      { ...sessionOfCheckout(p.stand, held.checkoutUrl), status: 'expired', payment_status: 'unpaid' },
      { id: 'evt_replayed_once' },
    );
    expect(expiredUnderSameId.json()).toEqual({ received: true, outcome: 'duplicate' });
    expect(await stateOf(p, held.id)).toEqual(before);
    expect(before.booking.status).toBe('confirmed');
  });

  it('keeps a paid booking confirmed when the expiry event arrives after the payment', async () => {
    const held = await paidBooking(p, { start_time: nextSlot() });
    const before = await stateOf(p, held.id);
    const late = await p.deliver('checkout.session.expired', {
      ...held.session,
      status: 'expired',
      payment_status: 'unpaid',
    });
    expect([late.statusCode, late.json()]).toEqual([200, { received: true, outcome: 'ignored' }]);
    const after = await stateOf(p, held.id);
    expect(after.booking).toEqual(before.booking);
    expect(after.paymentRow).toEqual(before.paymentRow);
    expect(after.booking.status).toBe('confirmed');
  });

  it('applies a completed checkout once when Stripe sends it twice under different event ids', async () => {
    const held = await paidBooking(p, { start_time: nextSlot() });
    const before = await stateOf(p, held.id);
    const again = await p.deliver('checkout.session.completed', held.session);
    expect([again.statusCode, again.json()]).toEqual([200, { received: true, outcome: 'ignored' }]);
    const after = await stateOf(p, held.id);
    expect(after.booking).toEqual(before.booking);
    expect(after.paymentRow).toEqual(before.paymentRow);
    expect(after.refunds).toBe(before.refunds);
  });

  it.each([
    ['amount', { amountTotal: 100 }, /Paid 100 INR .* booking of 200000 INR/],
    ['currency', { currency: 'usd' }, /Paid 200000 USD .* booking of 200000 INR/],
  ])('flags a payment whose %s does not match the booking, never confirming it', async (_, paid, flag) => {
    const held = await holdNext();
    const { delivered } = await pay(p, held.checkoutUrl, paid);
    expect([delivered.statusCode, delivered.json()]).toEqual([200, { received: true, outcome: 'applied' }]);
    const after = await bookingOf(p, held.id);
    expect(after.status).toBe('pending_payment');
    expect(after.payment.status).toBe('flagged');
    const flagged = await p.t.api.get(`/api/payments?status=flagged&booking_id=${held.id}`);
    expect(flagged.status).toBe(200);
    expect(flagged.body.payments).toHaveLength(1);
    expect(flagged.body.payments[0]).toMatchObject({ booking_id: held.id, status: 'flagged' });
    expect(flagged.body.payments[0].flag).toMatch(flag);
    // Once flagged, a matching payment event for the same checkout does not confirm it either.
    const retry = await p.deliver('checkout.session.completed', {
      ...sessionOfCheckout(p.stand, held.checkoutUrl),
      amount_total: ROHAN_30_MIN_PAISE,
      currency: 'inr',
    });
    expect(retry.json().outcome).toBe('ignored');
    expect((await bookingOf(p, held.id)).status).toBe('pending_payment');
  });

  it('does not confirm a completed checkout whose payment is not yet paid', async () => {
    const held = await holdNext();
    const before = await stateOf(p, held.id);
    const unpaid = await p.deliver('checkout.session.completed', {
      ...sessionOfCheckout(p.stand, held.checkoutUrl),
      status: 'complete',
      payment_status: 'unpaid',
    });
    expect([unpaid.statusCode, unpaid.json()]).toEqual([200, { received: true, outcome: 'ignored' }]);
    const after = await stateOf(p, held.id);
    expect(after.booking).toEqual(before.booking);
    expect(after.paymentRow).toEqual(before.paymentRow);
    expect(after.booking.status).toBe('pending_payment');
  });

  it('ignores, with 200, events about a checkout it never opened', async () => {
    const events = await p.t.app.db.knex('payment_events').count({ count: '*' }).first();
    const unknown = await p.deliver('checkout.session.completed', {
      id: 'cs_test_neverOpenedHere',
      object: 'checkout.session',
      amount_total: ROHAN_30_MIN_PAISE,
      currency: 'inr',
      metadata: {},
      mode: 'payment',
      payment_intent: 'pi_elsewhere',
      payment_status: 'paid',
      status: 'complete',
    } satisfies Partial<StandInCheckoutSession>);
    expect([unknown.statusCode, unknown.json()]).toEqual([200, { received: true, outcome: 'ignored' }]);
    const after = await p.t.app.db.knex('payment_events').count({ count: '*' }).first();
    expect(Number(after?.count)).toBe(Number(events?.count) + 1);
  });

  it('answers 404 payments_off when payments are off', async () => {
    const off = await startTestApp();
    try {
      const payload = p.stand.event('checkout.session.completed', {
        id: 'cs_test_x',
        object: 'checkout.session',
      });
      const refused = await postWebhook({ t: off }, payload, {
        'stripe-signature': p.stand.sign(payload, { secret: TEST_WEBHOOK_SECRET }),
      });
      expect([refused.status, refused.body.code]).toEqual([404, 'payments_off']);
    } finally {
      await off.close();
    }
  });
});

describe('holds that lapse', () => {
  let p: PaymentsTestApp;
  beforeAll(async () => {
    p = await startPaymentsApp({}, testClock());
  });
  afterAll(() => p.close());

  it('reads expired once the hold lapses, frees the slot at once, and the upkeep writes it down', async () => {
    const taken = await hold(p, { start_time: '2026-12-02T19:00:00' });
    const untouched = await hold(p, { student_id: diya, start_time: '2026-12-02T21:00:00' });
    p.clock.advance(30 * MINUTE);
    for (const id of [taken.id, untouched.id]) {
      const lapsed = await bookingOf(p, id);
      expect(lapsed.status).toBe('expired');
      expect(lapsed.payment).toMatchObject({ status: 'expired', checkout_url: null });
    }
    const lapsedList = await p.t.api.get(`/api/payments?status=expired`);
    expect(
      lapsedList.body.payments.map((payment: { booking_id: number }) => payment.booking_id).sort(),
    ).toEqual([taken.id, untouched.id].sort());
    const other = await book(p, { student_id: kabir, start_time: '2026-12-02T19:00:00' });
    expect(other.status).toBe(201);

    const result = await upkeep(p);
    expect(result.refundsTried).toBe(0);
    for (const id of [taken.id, untouched.id]) {
      expect(await bookingRowOf(p, id)).toMatchObject({
        status: 'expired',
        cancellation_reason: 'The payment was not completed before the hold expired',
      });
      expect((await paymentRowOf(p, id)).status, `payment of booking ${id}`).toBe('expired');
    }
    expect((await bookingOf(p, other.body.booking_id)).status).toBe('pending_payment');
  });

  it('confirms a payment that arrives after the hold lapsed when the slot is still free', async () => {
    const held = await hold(p, { start_time: '2026-12-03T19:00:00' });
    p.clock.advance(31 * MINUTE);
    expect((await bookingOf(p, held.id)).status).toBe('expired');
    // Checkout's shortest life is 30 minutes (plus slack): the student may still pay.
    const { delivered } = await pay(p, held.checkoutUrl);
    expect(delivered.json()).toEqual({ received: true, outcome: 'applied' });
    const late = await bookingOf(p, held.id);
    expect(late).toMatchObject({ status: 'confirmed', cancellation_reason: null });
    expect(late.payment).toMatchObject({ status: 'paid', refund: null });
    // Told as what it became: confirmed, never expired on the way (no "your hold expired" email).
    expect(await eventTypesOf(p, held.id)).toEqual(['booking.created', 'booking.confirmed']);
  });

  it('refunds at once a payment that arrives after the hold lapsed when someone else has the slot', async () => {
    const held = await hold(p, { start_time: '2026-12-03T20:00:00' });
    p.clock.advance(31 * MINUTE);
    const other = await book(p, { student_id: diya, start_time: '2026-12-03T20:00:00' });
    expect(other.status).toBe(201);
    const refundsBefore = p.stand.refunds.size;
    const { session, delivered } = await pay(p, held.checkoutUrl);
    expect(delivered.json()).toEqual({ received: true, outcome: 'applied' });

    const late = await bookingOf(p, held.id);
    expect(late).toMatchObject({ status: 'expired', cancellation_reason: LATE_TAKEN_REASON });
    expect(late.payment).toMatchObject({
      status: 'refunded',
      refund: { status: 'succeeded', amount: 2000, requested_at: new Date(p.clock()).toISOString() },
    });
    expect(p.stand.refunds.size).toBe(refundsBefore + 1);
    const refund = [...p.stand.refunds.values()].find((r) => r.payment_intent === session.payment_intent);
    expect(refund).toMatchObject({ amount: ROHAN_30_MIN_PAISE, currency: 'inr', status: 'succeeded' });
    const payment = await paymentRowOf(p, held.id);
    const asked = refundRequests(p).filter((r) => r.body.payment_intent === session.payment_intent);
    expect(asked.map((r) => r.idempotencyKey)).toEqual([refundKeyOf(payment)]);
    expect((await bookingOf(p, other.body.booking_id)).status).toBe('pending_payment');
    // Expired once (when the other booking let the lapsed hold go), then the refund.
    expect(await eventTypesOf(p, held.id)).toEqual([
      'booking.created',
      'booking.expired',
      'payment.refunded',
    ]);
  });

  it('lets the hold go at once when Stripe reports the checkout expired, before the hold’s own end', async () => {
    const held = await hold(p, { start_time: '2026-12-04T19:00:00' });
    const ended = await p.deliver(
      'checkout.session.expired',
      p.stand.expire(sessionOfCheckout(p.stand, held.checkoutUrl).id),
    );
    expect(ended.json()).toEqual({ received: true, outcome: 'applied' });
    const released = await bookingOf(p, held.id);
    expect(released).toMatchObject({ status: 'expired', cancellation_reason: 'The checkout ended unpaid' });
    expect(released.payment.status).toBe('expired');
    expect(Date.parse(released.payment.expires_at)).toBeGreaterThan(p.clock());
    expect((await book(p, { student_id: kabir, start_time: '2026-12-04T19:00:00' })).status).toBe(201);
  });
  it('refunds a payment reported only after the session has started, even with the slot free', async () => {
    const held = await hold(p, { start_time: '2026-12-02T22:00:00' });
    const session = p.stand.pay(sessionOfCheckout(p.stand, held.checkoutUrl).id);
    p.clock.set(Date.parse('2026-12-02T17:00:00Z'));
    const delivered = await p.deliver('checkout.session.completed', session);
    expect(delivered.json()).toEqual({ received: true, outcome: 'applied' });
    const late = await bookingOf(p, held.id);
    expect(late.status).toBe('expired');
    // The slot was free: the reason must not say someone else took it.
    expect(late.cancellation_reason).toMatch(/refunded/);
    expect(late.cancellation_reason).not.toMatch(/taken/);
    expect(late.payment).toMatchObject({ status: 'refunded', refund: { status: 'succeeded', amount: 2000 } });
    const refunds = [...p.stand.refunds.values()].filter((r) => r.payment_intent === session.payment_intent);
    expect(refunds.map((r) => r.amount)).toEqual([ROHAN_30_MIN_PAISE]);
  });
});

/** The outbox events recorded for a booking, oldest first. */
async function eventTypesOf(p: PaymentsTestApp, bookingId: number): Promise<string[]> {
  return p.t.app.db.knex('outbox_events').where('booking_id', bookingId).orderBy('id').pluck('type');
}

describe('how long a hold lasts', () => {
  it('ends a long hold at the session’s start at the latest, and the checkout with it', async () => {
    const p = await startPaymentsApp({ PAYMENT_HOLD_MINUTES: '1440' });
    try {
      const held = await hold(p, { start_time: '2026-12-01T19:00:00' });
      expect((await bookingOf(p, held.id)).payment.expires_at).toBe('2026-12-01T13:30:00.000Z');
      const session = sessionOfCheckout(p.stand, held.checkoutUrl);
      expect(session.expires_at * 1000).toBeLessThanOrEqual(Date.parse('2026-12-01T13:30:00Z'));
    } finally {
      await p.close();
    }
  });

  it('rounds a hold up to a whole minute, keeps Checkout open its minimum, and confirms a payment made after a short hold', async () => {
    const clock = testClock(NOW + 20_000);
    const p = await startPaymentsApp({ PAYMENT_HOLD_MINUTES: '5' }, clock);
    try {
      const held = await hold(p, { start_time: '2026-12-01T19:00:00' });
      const payment = (await bookingOf(p, held.id)).payment;
      expect(payment.expires_at).toBe(new Date(NOW + 6 * MINUTE).toISOString());
      const session = sessionOfCheckout(p.stand, held.checkoutUrl);
      expect(session.expires_at * 1000).toBeGreaterThanOrEqual(clock() + 30 * MINUTE);
      clock.advance(10 * MINUTE);
      expect((await bookingOf(p, held.id)).status).toBe('expired');
      const { delivered } = await pay(p, held.checkoutUrl);
      expect(delivered.json()).toEqual({ received: true, outcome: 'applied' });
      expect(await bookingOf(p, held.id)).toMatchObject({ status: 'confirmed', payment: { status: 'paid' } });
    } finally {
      await p.close();
    }
  });
});

describe('cancelling a paid or held session', () => {
  let p: PaymentsTestApp;
  let asAarav: Record<string, string>;
  // With a 24-hour cut-off, 1 December 19:00 IST (13.5 hours after NOW) is inside it, 3 December outside.
  const outside = rohanSlots(['2026-12-03', '2026-12-04']);
  const inside = ['2026-12-01T19:00:00', '2026-12-01T20:00:00', '2026-12-01T21:00:00', '2026-12-01T22:00:00'];
  beforeAll(async () => {
    p = await startPaymentsApp({ CHANGE_CUTOFF_HOURS: '24' });
    asAarav = await loginAs(p.t.api, 'aarav.sharma@example.com');
  });
  afterAll(() => p.close());

  /** The one refund Stripe holds for a payment, checked against what was asked. */
  const expectOneFullRefund = async (bookingId: number, session: StandInCheckoutSession) => {
    const refunds = [...p.stand.refunds.values()].filter((r) => r.payment_intent === session.payment_intent);
    expect(refunds).toHaveLength(1);
    expect(refunds[0]).toMatchObject({ amount: session.amount_total, status: 'succeeded' });
    const payment = await paymentRowOf(p, bookingId);
    expect(payment).toMatchObject({
      status: 'refunded',
      refund_status: 'succeeded',
      refund_id: refunds[0]?.id,
    });
    return refundRequests(p).filter((r) => r.body.payment_intent === session.payment_intent);
  };

  it('refunds in full when the student cancels a paid session before the cut-off', async () => {
    const paid = await paidBooking(p, { start_time: outside() });
    const cancelled = await p.t.api.post(
      `/api/bookings/${paid.id}/cancel`,
      { reason: 'Got the offer' },
      asAarav,
    );
    expect(cancelled.status).toBe(200);
    const at = new Date(p.clock()).toISOString();
    expect(cancelled.body).toMatchObject({ status: 'cancelled', cancellation_reason: 'Got the offer' });
    expect(cancelled.body.payment).toMatchObject({
      status: 'refunded',
      amount: 2000,
      refund: { status: 'succeeded', amount: 2000, requested_at: at, refunded_at: at },
    });
    expect((await bookingOf(p, paid.id)).payment).toEqual(cancelled.body.payment);
    const asked = await expectOneFullRefund(paid.id, paid.session);
    const payment = await paymentRowOf(p, paid.id);
    expect(asked.map((r) => [r.idempotencyKey, r.body.amount])).toEqual([
      [refundKeyOf(payment), String(ROHAN_30_MIN_PAISE)],
    ]);
  });

  it('refunds when an admin cancels inside the cut-off', async () => {
    const paid = await paidBooking(p, { start_time: inside[0] });
    const cancelled = await p.t.api.post(`/api/bookings/${paid.id}/cancel`, {});
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.payment).toMatchObject({ status: 'refunded', refund: { status: 'succeeded' } });
    await expectOneFullRefund(paid.id, paid.session);
  });

  it('refunds when the mentor cancels inside the cut-off', async () => {
    const asRohan = await loginAs(p.t.api, 'rohan.mehta@mentors.example.com');
    const paid = await paidBooking(p, { start_time: inside[1] });
    const cancelled = await p.t.api.post(`/api/bookings/${paid.id}/cancel`, {}, asRohan);
    expect([cancelled.status, cancelled.body.code]).toEqual([200, undefined]);
    expect(cancelled.body.payment).toMatchObject({ status: 'refunded', refund: { status: 'succeeded' } });
    await expectOneFullRefund(paid.id, paid.session);
  });

  it('refuses the student inside the cut-off, as before, and refunds nothing', async () => {
    const paid = await paidBooking(p, { start_time: inside[2] });
    const refunds = p.stand.refunds.size;
    const refused = await p.t.api.post(`/api/bookings/${paid.id}/cancel`, {}, asAarav);
    expect([refused.status, refused.body.code]).toEqual([422, 'change_cutoff_passed']);
    expect(p.stand.refunds.size).toBe(refunds);
    expect(await bookingOf(p, paid.id)).toMatchObject({
      status: 'confirmed',
      payment: { status: 'paid', refund: null },
    });
  });

  it('still cancels when Stripe is down, leaves the refund pending, and the upkeep refunds it once', async () => {
    const paid = await paidBooking(p, { start_time: outside() });
    p.stand.failNext(SDK_ATTEMPTS);
    const cancelled = await p.t.api.post(`/api/bookings/${paid.id}/cancel`, {});
    p.stand.failNext(0);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.payment).toMatchObject({
      status: 'refunded',
      refund: { status: 'pending', amount: 2000, refunded_at: null },
    });
    expect(
      [...p.stand.refunds.values()].filter((r) => r.payment_intent === paid.session.payment_intent),
    ).toEqual([]);

    const result = await upkeep(p);
    expect(result.refundsTried).toBe(1);
    expect((await bookingOf(p, paid.id)).payment.refund).toMatchObject({
      status: 'succeeded',
      refunded_at: new Date(p.clock()).toISOString(),
    });
    const asked = await expectOneFullRefund(paid.id, paid.session);
    const payment = await paymentRowOf(p, paid.id);
    expect(asked).toHaveLength(SDK_ATTEMPTS + 1);
    expect(new Set(asked.map((r) => r.idempotencyKey))).toEqual(new Set([refundKeyOf(payment)]));
    // Nothing is left to retry.
    expect((await upkeep(p)).refundsTried).toBe(0);
    expect(
      refundRequests(p).filter((r) => r.body.payment_intent === paid.session.payment_intent),
    ).toHaveLength(SDK_ATTEMPTS + 1);
  });

  it('keeps a refund Stripe accepted as pending so until its refund.updated event, then shows it succeeded or failed', async () => {
    p.stand.refundsStart = 'pending';
    const settles = await paidBooking(p, { start_time: outside() });
    const fails = await paidBooking(p, { start_time: outside() });
    const refundOf = async (bookingId: number) => {
      const cancelled = await p.t.api.post(`/api/bookings/${bookingId}/cancel`, {});
      expect(cancelled.body.payment.refund).toMatchObject({ status: 'pending', refunded_at: null });
      const { refund_id: refundId } = await paymentRowOf(p, bookingId);
      return p.stand.refunds.get(refundId) as object;
    };
    const settling = await refundOf(settles.id);
    const failing = await refundOf(fails.id);
    p.stand.refundsStart = 'succeeded';
    // Accepted by Stripe: nothing for the upkeep to ask again.
    expect((await upkeep(p)).refundsTried).toBe(0);

    const succeeded = await p.deliver('refund.updated', { ...settling, status: 'succeeded' });
    expect(succeeded.json()).toEqual({ received: true, outcome: 'applied' });
    expect((await bookingOf(p, settles.id)).payment.refund).toMatchObject({
      status: 'succeeded',
      refunded_at: new Date(p.clock()).toISOString(),
    });
    const failed = await p.deliver('refund.updated', { ...failing, status: 'failed' });
    expect(failed.json()).toEqual({ received: true, outcome: 'applied' });
    expect((await bookingOf(p, fails.id)).payment.refund).toMatchObject({
      status: 'failed',
      refunded_at: null,
    });
    expect((await paymentRowOf(p, fails.id)).flag).toBe(
      'The provider reports the refund failed: refund it by hand',
    );
    // Settled refunds do not change again; unknown ones are ignored.
    const again = await p.deliver('refund.updated', { ...settling, status: 'failed' });
    expect(again.json()).toEqual({ received: true, outcome: 'ignored' });
    expect((await bookingOf(p, settles.id)).payment.refund.status).toBe('succeeded');
    const unknown = await p.deliver('refund.updated', {
      id: 're_unknown',
      object: 'refund',
      status: 'failed',
    });
    expect(unknown.json()).toEqual({ received: true, outcome: 'ignored' });
  });

  it('ends the payment and closes the Stripe checkout when a held booking is cancelled', async () => {
    const held = await hold(p, { start_time: outside() });
    const cancelled = await p.t.api.post(`/api/bookings/${held.id}/cancel`, {}, asAarav);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({
      status: 'cancelled',
      payment: { status: 'expired', checkout_url: null },
    });
    const session = sessionOfCheckout(p.stand, held.checkoutUrl);
    expect(session.status).toBe('expired');
    expect(
      p.stand.requests.filter(
        (r) => r.method === 'POST' && r.path === `/v1/checkout/sessions/${session.id}/expire`,
      ),
    ).toHaveLength(1);
  });

  it('refunds a payment that arrives after the held booking was cancelled', async () => {
    const held = await hold(p, { start_time: outside() });
    // Stripe cannot be reached to close the checkout, so the student can still pay on it.
    p.stand.failNext(SDK_ATTEMPTS);
    const cancelled = await p.t.api.post(`/api/bookings/${held.id}/cancel`, {}, asAarav);
    p.stand.failNext(0);
    expect(cancelled.status).toBe(200);
    expect(sessionOfCheckout(p.stand, held.checkoutUrl).status).toBe('open');
    const { session, delivered } = await pay(p, held.checkoutUrl);
    expect(delivered.json()).toEqual({ received: true, outcome: 'applied' });
    const after = await bookingOf(p, held.id);
    expect(after.status).toBe('cancelled');
    expect(after.payment).toMatchObject({
      status: 'refunded',
      refund: { status: 'succeeded', amount: 2000 },
    });
    await expectOneFullRefund(held.id, session);
  });
});

describe('rescheduling with payments', () => {
  let p: PaymentsTestApp;
  beforeAll(async () => {
    p = await startPaymentsApp();
  });
  afterAll(() => p.close());

  it('keeps the payment of a paid session moved at the same length', async () => {
    const paid = await paidBooking(p, { start_time: '2026-12-02T19:00:00' });
    const before = await bookingOf(p, paid.id);
    const moved = await p.t.api.post(`/api/bookings/${paid.id}/reschedule`, {
      start_time: '2026-12-02T21:00:00',
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({
      start_time: '2026-12-02T15:30:00.000Z',
      status: 'confirmed',
      cost: 2000,
    });
    expect(moved.body.payment).toEqual(before.payment);
    expect(moved.body.payment.status).toBe('paid');
  });

  it('refuses a new length at another price on a paid session with 422 price_changed', async () => {
    const paid = await paidBooking(p, { start_time: '2026-12-03T19:00:00' });
    const before = await bookingOf(p, paid.id);
    const refused = await p.t.api.post(`/api/bookings/${paid.id}/reschedule`, {
      start_time: '2026-12-03T20:00:00',
      duration: 60,
    });
    expect([refused.status, refused.body.code]).toEqual([422, 'price_changed']);
    expect(await bookingOf(p, paid.id)).toEqual(before);
  });

  it('refuses to move a session still waiting for payment with 409 booking_not_active', async () => {
    const held = await hold(p, { start_time: '2026-12-04T19:00:00' });
    const refused = await p.t.api.post(`/api/bookings/${held.id}/reschedule`, {
      start_time: '2026-12-04T21:00:00',
    });
    expect([refused.status, refused.body.code]).toEqual([409, 'booking_not_active']);
    expect((await bookingOf(p, held.id)).start_time).toBe('2026-12-04T13:30:00.000Z');
  });

  it('re-prices a new length, as before, when payments are off', async () => {
    const off = await startTestApp();
    try {
      const created = await off.api.post('/api/bookings', booking({ start_time: '2026-12-03T19:00:00' }));
      expect(created.body.payment).toBeNull();
      const moved = await off.api.post(`/api/bookings/${created.body.booking_id}/reschedule`, {
        start_time: '2026-12-03T20:00:00',
        duration: 60,
      });
      expect(moved.status).toBe(200);
      expect(moved.body).toMatchObject({ duration: 60, cost: 4000, status: 'confirmed', payment: null });
    } finally {
      await off.close();
    }
  });
});

describe('GET /api/payments', () => {
  let p: PaymentsTestApp;
  /** Booking ids by what happened to their payment, each made a minute after the one before. */
  const made: Record<'paid' | 'refunded' | 'pending' | 'flagged' | 'premium', number> = {
    paid: 0,
    refunded: 0,
    pending: 0,
    flagged: 0,
    premium: 0,
  };
  const createdAt = (minutes: number) => new Date(NOW + minutes * MINUTE).toISOString();

  beforeAll(async () => {
    p = await startPaymentsApp({}, testClock());
    made.paid = (await paidBooking(p, { start_time: '2026-12-02T19:00:00' })).id;
    p.clock.advance(MINUTE);
    made.refunded = (await paidBooking(p, { start_time: '2026-12-02T20:00:00' })).id;
    expect((await p.t.api.post(`/api/bookings/${made.refunded}/cancel`, {})).status).toBe(200);
    p.clock.advance(MINUTE);
    made.pending = (await hold(p, { start_time: '2026-12-02T21:00:00' })).id;
    p.clock.advance(MINUTE);
    const flagged = await hold(p, { start_time: '2026-12-02T22:00:00' });
    made.flagged = flagged.id;
    await pay(p, flagged.checkoutUrl, { currency: 'usd' });
    p.clock.advance(MINUTE);
    made.premium = (
      await paidBooking(p, { mentor_id: demo.priya, student_id: saanvi, start_time: '2026-12-01T20:00:00' })
    ).id;
  });
  afterAll(() => p.close());

  const ids = (body: { payments: { booking_id: number }[] }) =>
    body.payments.map((payment) => payment.booking_id);

  it('lists every payment newest first, with totals per currency', async () => {
    const all = await p.t.api.get('/api/payments');
    expect(all.status).toBe(200);
    expect(ids(all.body)).toEqual([made.premium, made.flagged, made.pending, made.refunded, made.paid]);
    expect(all.body.next_cursor).toBeNull();
    expect(all.body.totals).toEqual([
      { currency: 'INR', payments: 4, paid: 7000, refunded: 2000, net: 5000 },
      { currency: 'USD', payments: 1, paid: 2000, refunded: 0, net: 2000 },
    ]);
    const premium = all.body.payments[0];
    expect(premium).toEqual({
      id: expect.any(Number),
      booking_id: made.premium,
      student_id: saanvi,
      mentor_id: demo.priya,
      provider: 'stripe',
      status: 'paid',
      amount: 3000,
      currency: 'INR',
      checkout_url: null,
      expires_at: createdAt(34),
      paid_at: createdAt(4),
      refund: null,
      checkout_session_id: expect.stringMatching(/^cs_test_/),
      payment_intent_id: expect.stringMatching(/^pi_/),
      paid_amount: 3000,
      paid_currency: 'INR',
      flag: null,
      created_at: createdAt(4),
      updated_at: createdAt(4),
    });
    expect(all.body.payments[3]).toMatchObject({
      status: 'refunded',
      refund: { status: 'succeeded', amount: 2000 },
    });
  });

  it('filters by status, booking and creation time, with totals over what matched', async () => {
    const paid = await p.t.api.get('/api/payments?status=paid');
    expect(ids(paid.body)).toEqual([made.premium, made.paid]);
    expect(paid.body.totals).toEqual([{ currency: 'INR', payments: 2, paid: 5000, refunded: 0, net: 5000 }]);
    const pending = await p.t.api.get('/api/payments?status=pending');
    expect(ids(pending.body)).toEqual([made.pending]);
    const refunded = await p.t.api.get('/api/payments?status=refunded');
    expect(refunded.body.totals).toEqual([
      { currency: 'INR', payments: 1, paid: 2000, refunded: 2000, net: 0 },
    ]);
    const one = await p.t.api.get(`/api/payments?booking_id=${made.flagged}`);
    expect(ids(one.body)).toEqual([made.flagged]);
    expect(one.body.payments[0].flag).toMatch(/USD/);
    const window = await p.t.api.get(`/api/payments?from=${createdAt(1)}&to=${createdAt(3)}`);
    expect(ids(window.body)).toEqual([made.pending, made.refunded]);
    const none = await p.t.api.get(`/api/payments?from=${createdAt(10)}`);
    expect(none.body).toEqual({ payments: [], totals: [], next_cursor: null });
  });

  it('pages with next_cursor, every page carrying the totals of all that matched', async () => {
    const all = await p.t.api.get('/api/payments');
    const seen: number[] = [];
    let url = '/api/payments?limit=2';
    for (let page = 0; page < 5; page++) {
      const response = await p.t.api.get(url);
      expect(response.status).toBe(200);
      expect(response.body.payments.length).toBeLessThanOrEqual(2);
      expect(response.body.totals).toEqual(all.body.totals);
      seen.push(...ids(response.body));
      if (response.body.next_cursor === null) break;
      url = `/api/payments?limit=2&cursor=${encodeURIComponent(response.body.next_cursor)}`;
    }
    expect(seen).toEqual(ids(all.body));
  });

  it('is for admins only', async () => {
    const asAarav = await loginAs(p.t.api, 'aarav.sharma@example.com');
    const student = await p.t.api.get('/api/payments', asAarav);
    expect([student.status, student.body.code]).toEqual([403, 'forbidden']);
    const nobody = await p.t.api.get('/api/payments', anonymously);
    expect(nobody.status).toBe(401);
    const trpcStudent = await callTrpc(p.t.app, 'query', 'payments.list', {}, asAarav);
    expect(trpcStudent.status).toBe(403);
  });

  it('answers the same through tRPC payments.list', async () => {
    const rest = await p.t.api.get(`/api/payments?status=paid&limit=1`);
    const trpc = await callTrpc(p.t.app, 'query', 'payments.list', { status: 'paid', limit: 1 });
    expect(trpc.status).toBe(200);
    expect(trpc.data).toEqual(rest.body);
    expect(trpc.data.next_cursor).not.toBeNull();
  });
});

describe('crashes, late payments against the mentor’s rules, and answers stored before payments', () => {
  let p: PaymentsTestApp;
  beforeAll(async () => {
    p = await startPaymentsApp({}, testClock());
  });
  afterAll(() => p.close());

  /** As if the process died after Stripe opened the checkout but before the server recorded it. */
  async function forgetCheckout(bookingId: number, idempotencyKey?: string) {
    await p.t.app.db
      .knex('payments')
      .where('booking_id', bookingId)
      .update({ checkout_session_id: null, checkout_url: null });
    if (idempotencyKey === undefined) return;
    const stored = await p.t.app.db.knex('idempotency_keys').where('key', idempotencyKey).first();
    const body = JSON.parse(stored.response_body);
    body.payment.checkout_url = null;
    body.booking.payment.checkout_url = null;
    await p.t.app.db
      .knex('idempotency_keys')
      .where('key', idempotencyKey)
      .update({ response_body: JSON.stringify(body) });
  }

  it('answers a retry after a crash between the booking and its checkout with the same checkout, a minute later', async () => {
    const key = 'crash-between-commit-and-checkout';
    const first = await book(p, { start_time: '2026-12-04T19:00:00' }, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    await forgetCheckout(first.body.booking_id, key);
    const sessionsBefore = p.stand.sessions.size;
    p.clock.advance(MINUTE);

    const retried = await book(p, { start_time: '2026-12-04T19:00:00' }, { 'idempotency-key': key });
    expect(retried.status, JSON.stringify(retried.body)).toBe(201);
    expect(retried.body.payment.checkout_url).toBe(first.body.payment.checkout_url);
    expect(p.stand.sessions.size).toBe(sessionsBefore);
    expect((await paymentRowOf(p, first.body.booking_id)).checkout_session_id).toBe(
      sessionOfCheckout(p.stand, first.body.payment.checkout_url).id,
    );
  });

  it('confirms a paid checkout it opened but never recorded, and ignores one of another database with the same booking id', async () => {
    const ours = await hold(p, { start_time: '2026-12-04T20:00:00' });
    await forgetCheckout(ours.id);
    const { delivered } = await pay(p, ours.checkoutUrl);
    expect(delivered.json()).toEqual({ received: true, outcome: 'applied' });
    expect((await bookingOf(p, ours.id)).status).toBe('confirmed');

    const theirs = await hold(p, { start_time: '2026-12-04T21:00:00' });
    await forgetCheckout(theirs.id);
    const paid = p.stand.pay(sessionOfCheckout(p.stand, theirs.checkoutUrl).id);
    // The same booking id, made by another database on the same Stripe account at another instant.
    const foreign = {
      ...paid,
      id: 'cs_test_from_another_database',
      metadata: { booking_id: String(theirs.id), booking_reference: `booking-${theirs.id}-1` },
    };
    const answer = await p.deliver('checkout.session.completed', foreign);
    expect(answer.json()).toEqual({ received: true, outcome: 'ignored' });
    expect((await bookingOf(p, theirs.id)).status).toBe('pending_payment');
    expect((await paymentRowOf(p, theirs.id)).checkout_session_id).toBeNull();
  });

  it('refunds a late payment when the mentor can no longer take the session (daily limit reached meanwhile)', async () => {
    const limited = await p.t.api.patch(`/api/mentors/${demo.rohan}`, { max_sessions_per_day: 1 });
    expect(limited.status).toBe(200);
    const late = await hold(p, { start_time: '2026-12-07T19:00:00' });
    p.clock.advance(31 * MINUTE);
    const other = await paidBooking(p, { student_id: diya, start_time: '2026-12-07T21:00:00' });
    const { delivered } = await pay(p, late.checkoutUrl);
    expect(delivered.json()).toEqual({ received: true, outcome: 'applied' });

    const refused = await bookingOf(p, late.id);
    expect(refused.status).toBe('expired');
    expect(refused.cancellation_reason).toBe(
      'Paid after the hold expired, when the mentor could no longer take the session at that time: the payment is refunded in full',
    );
    expect(refused.payment).toMatchObject({
      status: 'refunded',
      refund: { status: 'succeeded', amount: 2000 },
    });
    expect((await bookingOf(p, other.id)).status).toBe('confirmed');
    // The hold was still stored as held when the payment came: it expires once, with the refund.
    expect(await eventTypesOf(p, late.id)).toEqual([
      'booking.created',
      'booking.expired',
      'payment.refunded',
    ]);
    const [expired] = await p.t.app.db
      .knex('outbox_events')
      .where({ booking_id: late.id, type: 'booking.expired' });
    expect(JSON.parse(expired.payload)).toMatchObject({ status: 'expired', refund_minor: 200000 });
    await p.t.api.patch(`/api/mentors/${demo.rohan}`, { max_sessions_per_day: null });
  });
});

describe('answers stored before payments existed', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('replays a booking answer stored without payment fields, with payment null', async () => {
    const key = 'stored-before-payments';
    const first = await t.api.post('/api/bookings', booking({ start_time: '2026-12-04T19:00:00' }), {
      'idempotency-key': key,
    });
    expect(first.status).toBe(201);
    const stored = await t.app.db.knex('idempotency_keys').where('key', key).first();
    const { payment: _payment, ...body } = JSON.parse(stored.response_body);
    const { payment: _bookingPayment, ...oldBooking } = body.booking;
    await t.app.db
      .knex('idempotency_keys')
      .where('key', key)
      .update({ response_body: JSON.stringify({ ...body, booking: oldBooking }) });

    const replayed = await t.api.post('/api/bookings', booking({ start_time: '2026-12-04T19:00:00' }), {
      'idempotency-key': key,
    });
    expect(replayed.status).toBe(201);
    expect(replayed.body).toEqual(first.body);
  });
});
