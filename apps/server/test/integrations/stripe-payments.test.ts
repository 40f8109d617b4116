import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type StripeSettings, stripePayments } from '../../src/integrations/stripe/stripe-payments.js';
import {
  type CheckoutRequest,
  type PaymentProvider,
  PaymentProviderError,
  WebhookSignatureError,
} from '../../src/services/payment-provider.js';
import { type StripeStandIn, startStripeStandIn } from '../support/stripe-stand-in.js';

const SECRET_KEY = 'sk_test_standin_4eC39HqLyjWDarjtT1zdp7dc';
const WEBHOOK_SECRET = 'whsec_standin_9f86d081884c7d659a2feaa0c55ad015';

let stand: StripeStandIn;
let payments: PaymentProvider;

function adapter(settings: Partial<StripeSettings> = {}): PaymentProvider {
  return stripePayments({
    secretKey: SECRET_KEY,
    webhookSecret: WEBHOOK_SECRET,
    apiBase: stand.apiBase,
    ...settings,
  });
}

function checkoutRequest(overrides: Partial<CheckoutRequest> = {}): CheckoutRequest {
  return {
    bookingId: 42,
    reference: 'booking-42-1764547200000',
    amountMinor: 300_000,
    currency: 'INR',
    description: 'Mentoring session, 45 minutes: Equity Research',
    customerEmail: 'asha@example.com',
    expiresAt: Date.now() + 40 * 60_000,
    successUrl: 'https://mentors.example/bookings/42?paid=1',
    cancelUrl: 'https://mentors.example/bookings/42',
    idempotencyKey: 'checkout-booking-42',
    ...overrides,
  };
}

/** The error a promise rejects with (failing the test when it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

async function expectProviderError(
  promise: Promise<unknown>,
  retryable: boolean,
): Promise<PaymentProviderError> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(PaymentProviderError);
  expect((error as PaymentProviderError).retryable).toBe(retryable);
  return error as PaymentProviderError;
}

beforeEach(async () => {
  stand = await startStripeStandIn(SECRET_KEY);
  payments = adapter();
});

afterEach(() => stand.close());

describe('createCheckout', () => {
  it("opens a Stripe checkout for the booking's exact amount in paise, with the booking in its metadata", async () => {
    const request = checkoutRequest();
    const checkout = await payments.createCheckout(request);

    const expiresAtSeconds = Math.floor(request.expiresAt / 1000);
    expect(checkout.sessionId).toMatch(/^cs_test_/);
    expect(checkout.url).toBe(`https://checkout.stripe.test/c/pay/${checkout.sessionId}`);
    expect(checkout.expiresAt).toBe(expiresAtSeconds * 1000);

    expect(stand.requests).toHaveLength(1);
    const sent = stand.requests[0];
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe('/v1/checkout/sessions');
    expect(sent?.idempotencyKey).toBe('checkout-booking-42');
    expect(sent?.headers['idempotency-key']).toBe('checkout-booking-42');
    expect(sent?.body).toEqual({
      mode: 'payment',
      line_items: [
        {
          quantity: '1',
          price_data: {
            currency: 'inr',
            unit_amount: '300000',
            product_data: { name: 'Mentoring session, 45 minutes: Equity Research' },
          },
        },
      ],
      metadata: { booking_id: '42', booking_reference: 'booking-42-1764547200000' },
      payment_intent_data: { metadata: { booking_id: '42' } },
      client_reference_id: '42',
      customer_email: 'asha@example.com',
      expires_at: String(expiresAtSeconds),
      success_url: 'https://mentors.example/bookings/42?paid=1',
      cancel_url: 'https://mentors.example/bookings/42',
    });

    expect(stand.sessions.get(checkout.sessionId)).toMatchObject({
      status: 'open',
      payment_status: 'unpaid',
      amount_total: 300_000,
      currency: 'inr',
      metadata: { booking_id: '42', booking_reference: 'booking-42-1764547200000' },
      payment_intent: null,
      expires_at: expiresAtSeconds,
    });
  });

  it('sends no customer email when the booking has none', async () => {
    await payments.createCheckout(checkoutRequest({ customerEmail: undefined }));
    expect(stand.requests[0]?.body).not.toHaveProperty('customer_email');
  });

  it('answers the same checkout to a retry with the same idempotency key, and Stripe opens only one', async () => {
    const request = checkoutRequest();
    const first = await payments.createCheckout(request);
    const second = await payments.createCheckout(request);
    expect(second).toEqual(first);
    expect(stand.sessions.size).toBe(1);
    expect(stand.requests.map((request) => request.idempotencyKey)).toEqual([
      'checkout-booking-42',
      'checkout-booking-42',
    ]);
  });

  it('is refused, not retryable, when the same key comes back with another amount', async () => {
    const request = checkoutRequest();
    await payments.createCheckout(request);
    const error = await expectProviderError(
      payments.createCheckout({ ...request, amountMinor: 400_000 }),
      false,
    );
    expect(error.message).toContain('idempotent');
    expect(stand.sessions.size).toBe(1);
  });

  it('succeeds when Stripe fails once with 500: the SDK retries with the same key', async () => {
    stand.failNext(1, 500);
    const checkout = await payments.createCheckout(checkoutRequest());
    expect(stand.sessions.has(checkout.sessionId)).toBe(true);
    expect(stand.sessions.size).toBe(1);
    expect(stand.requests.map((request) => request.idempotencyKey)).toEqual([
      'checkout-booking-42',
      'checkout-booking-42',
    ]);
  });

  it('gives a retryable PaymentProviderError when Stripe keeps failing with 500 (after two retries)', async () => {
    stand.failNext(3, 500);
    const error = await expectProviderError(payments.createCheckout(checkoutRequest()), true);
    expect(error.message).toContain('HTTP 500');
    expect(stand.requests).toHaveLength(3);
    expect(stand.sessions.size).toBe(0);
  });

  it('gives a retryable PaymentProviderError on 429 (rate limited), which the SDK does not retry itself', async () => {
    stand.failNext(1, 429);
    await expectProviderError(payments.createCheckout(checkoutRequest()), true);
    expect(stand.requests).toHaveLength(1);
  });

  it('gives a PaymentProviderError that is not retryable when Stripe refuses the request (400)', async () => {
    // Stripe takes a checkout's expiry from 30 minutes on.
    const error = await expectProviderError(
      payments.createCheckout(checkoutRequest({ expiresAt: Date.now() + 10 * 60_000 })),
      false,
    );
    expect(error.message).toContain('HTTP 400');
    expect(error.message).toContain('expires_at');
    expect(stand.requests).toHaveLength(1);
  });

  it('gives a PaymentProviderError that is not retryable, and does not reveal the key, when the key is wrong', async () => {
    const wrongKey = 'sk_test_wrong_0000000000000000000000000000';
    const error = await expectProviderError(
      adapter({ secretKey: wrongKey }).createCheckout(checkoutRequest()),
      false,
    );
    expect(error.message).toContain('HTTP 401');
    expect(error.message).not.toContain(wrongKey);
    expect(stand.sessions.size).toBe(0);
  });

  it('gives a retryable PaymentProviderError when nothing listens at the API address', async () => {
    await stand.close();
    await expectProviderError(payments.createCheckout(checkoutRequest()), true);
  });

  it('refuses an amount that is not a positive whole number of paise before calling Stripe', async () => {
    for (const amountMinor of [0, -100, 2500.5]) {
      expect(await rejectionOf(payments.createCheckout(checkoutRequest({ amountMinor })))).toBeInstanceOf(
        RangeError,
      );
    }
    expect(stand.requests).toHaveLength(0);
  });
});

describe('refund', () => {
  async function paidBooking(): Promise<string> {
    const { sessionId } = await payments.createCheckout(checkoutRequest());
    const paid = stand.pay(sessionId);
    return paid.payment_intent as string;
  }

  it('refunds the payment intent with the idempotency key, and a retry with the key refunds once', async () => {
    const paymentIntentId = await paidBooking();
    const request = {
      bookingId: 42,
      paymentIntentId,
      amountMinor: 300_000,
      idempotencyKey: 'refund-booking-42',
    };
    const first = await payments.refund(request);
    const second = await payments.refund(request);

    expect(first.refundId).toMatch(/^re_/);
    expect(first.status).toBe('succeeded');
    expect(second).toEqual(first);
    expect(stand.refunds.size).toBe(1);
    expect(stand.refunds.get(first.refundId)).toMatchObject({
      amount: 300_000,
      currency: 'inr',
      payment_intent: paymentIntentId,
      metadata: { booking_id: '42' },
    });
    const sent = stand.requests.filter((r) => r.path === '/v1/refunds');
    expect(sent).toHaveLength(2);
    expect(sent[0]?.body).toEqual({
      payment_intent: paymentIntentId,
      amount: '300000',
      metadata: { booking_id: '42' },
    });
    expect(sent.map((r) => r.idempotencyKey)).toEqual(['refund-booking-42', 'refund-booking-42']);
  });

  it('is refused, not retryable, for more than was paid', async () => {
    const paymentIntentId = await paidBooking();
    const error = await expectProviderError(
      payments.refund({ bookingId: 42, paymentIntentId, amountMinor: 300_001, idempotencyKey: 'refund-42' }),
      false,
    );
    expect(error.message).toContain('greater than');
    expect(stand.refunds.size).toBe(0);
  });

  it('is refused, not retryable, for a payment intent Stripe does not know', async () => {
    const error = await expectProviderError(
      payments.refund({
        bookingId: 42,
        paymentIntentId: 'pi_unknown',
        amountMinor: 100,
        idempotencyKey: 'r-42',
      }),
      false,
    );
    expect(error.message).toContain("No such payment_intent: 'pi_unknown'");
  });
});

describe('expireCheckout', () => {
  it('expires an open checkout', async () => {
    const { sessionId } = await payments.createCheckout(checkoutRequest());
    await payments.expireCheckout(sessionId);
    expect(stand.sessions.get(sessionId)?.status).toBe('expired');
    expect(stand.requests.at(-1)?.path).toBe(`/v1/checkout/sessions/${sessionId}/expire`);
  });

  it('resolves quietly for a checkout that has already expired', async () => {
    const { sessionId } = await payments.createCheckout(checkoutRequest());
    stand.expire(sessionId);
    await expect(payments.expireCheckout(sessionId)).resolves.toBeUndefined();
    expect(stand.sessions.get(sessionId)?.status).toBe('expired');
  });

  it('resolves quietly for a checkout paid meanwhile, which stays complete', async () => {
    const { sessionId } = await payments.createCheckout(checkoutRequest());
    stand.pay(sessionId);
    await expect(payments.expireCheckout(sessionId)).resolves.toBeUndefined();
    expect(stand.sessions.get(sessionId)?.status).toBe('complete');
  });

  it('is refused, not retryable, for a checkout Stripe does not know', async () => {
    await expectProviderError(payments.expireCheckout('cs_test_unknown'), false);
  });
});

describe('verifyEvent', () => {
  async function paidSessionEvent(metadata?: Record<string, string>) {
    const { sessionId } = await payments.createCheckout(checkoutRequest());
    const session = { ...stand.pay(sessionId), ...(metadata ? { metadata } : {}) };
    const payload = stand.event('checkout.session.completed', session, { id: 'evt_paid_42' });
    return { session, payload, created: (JSON.parse(payload) as { created: number }).created };
  }

  it('maps a correctly signed checkout.session.completed event', async () => {
    const { session, payload, created } = await paidSessionEvent();
    const header = stand.sign(payload, { secret: WEBHOOK_SECRET });

    expect(payments.verifyEvent(Buffer.from(payload), header)).toEqual({
      id: 'evt_paid_42',
      type: 'checkout.session.completed',
      created: created * 1000,
      checkout: {
        sessionId: session.id,
        bookingId: 42,
        reference: 'booking-42-1764547200000',
        paymentStatus: 'paid',
        amountTotal: 300_000,
        currency: 'INR',
        paymentIntentId: session.payment_intent,
      },
      refund: null,
    });
  });

  it('maps a signed refund.updated event to the refund it settles', async () => {
    const payload = stand.event(
      'refund.updated',
      { id: 're_settled_later', object: 'refund', status: 'succeeded', amount: 200_000 },
      { id: 'evt_refund_settled' },
    );
    const header = stand.sign(payload, { secret: WEBHOOK_SECRET });
    expect(payments.verifyEvent(Buffer.from(payload), header)).toMatchObject({
      id: 'evt_refund_settled',
      type: 'refund.updated',
      checkout: null,
      refund: { refundId: 're_settled_later', status: 'succeeded' },
    });
  });

  it('takes the id of an expanded payment intent', async () => {
    const { session } = await paidSessionEvent();
    const payload = stand.event('checkout.session.completed', {
      ...session,
      payment_intent: { id: 'pi_expanded', object: 'payment_intent' },
    });
    const event = payments.verifyEvent(Buffer.from(payload), stand.sign(payload, { secret: WEBHOOK_SECRET }));
    expect(event.checkout?.paymentIntentId).toBe('pi_expanded');
  });

  it('gives the same event id when the same event is delivered again', async () => {
    const { session } = await paidSessionEvent();
    const ids = [1, 2].map(() => {
      const payload = stand.event('checkout.session.completed', session, { id: 'evt_again' });
      return payments.verifyEvent(Buffer.from(payload), stand.sign(payload, { secret: WEBHOOK_SECRET })).id;
    });
    expect(ids).toEqual(['evt_again', 'evt_again']);
  });

  it('maps an event of another kind with no checkout', () => {
    const payload = stand.event('payment_intent.succeeded', { id: 'pi_123', object: 'payment_intent' });
    const event = payments.verifyEvent(Buffer.from(payload), stand.sign(payload, { secret: WEBHOOK_SECRET }));
    expect(event.type).toBe('payment_intent.succeeded');
    expect(event.checkout).toBeNull();
  });

  it.each([
    ['missing', {}],
    ['not a number', { booking_id: 'abc' }],
    ['zero', { booking_id: '0' }],
    ['negative', { booking_id: '-3' }],
    ['fractional', { booking_id: '1.5' }],
    ['beyond safe integers', { booking_id: '9007199254740993' }],
    ['beyond the id column', { booking_id: '2147483648' }],
  ])('names no booking when metadata booking_id is %s', async (_case, metadata) => {
    const { payload } = await paidSessionEvent(metadata);
    const event = payments.verifyEvent(Buffer.from(payload), stand.sign(payload, { secret: WEBHOOK_SECRET }));
    expect(event.checkout?.bookingId).toBeNull();
    expect(event.checkout?.paymentStatus).toBe('paid');
  });

  describe('refuses with WebhookSignatureError', () => {
    it('a missing Stripe-Signature header', async () => {
      const { payload } = await paidSessionEvent();
      for (const header of [undefined, '']) {
        expect(thrownBy(() => payments.verifyEvent(Buffer.from(payload), header))).toBeInstanceOf(
          WebhookSignatureError,
        );
      }
    });

    it('a header that is not a Stripe signature', async () => {
      const { payload } = await paidSessionEvent();
      const error = thrownBy(() => payments.verifyEvent(Buffer.from(payload), 'garbage'));
      expect(error).toBeInstanceOf(WebhookSignatureError);
    });

    it('a signature made with another secret, without quoting either secret', async () => {
      const { payload } = await paidSessionEvent();
      const header = stand.sign(payload, { secret: 'whsec_someone_else' });
      const error = thrownBy(() => payments.verifyEvent(Buffer.from(payload), header));
      expect(error).toBeInstanceOf(WebhookSignatureError);
      expect((error as Error).message).not.toContain(WEBHOOK_SECRET);
      expect((error as Error).message).not.toContain('whsec_someone_else');
    });

    it('a body with one byte changed after signing', async () => {
      const { payload } = await paidSessionEvent();
      const header = stand.sign(payload, { secret: WEBHOOK_SECRET });
      const tampered = Buffer.from(payload);
      const at = tampered.indexOf('"amount_total":300000') + '"amount_total":'.length;
      expect(at).toBeGreaterThan(20);
      tampered[at] = '9'.charCodeAt(0);
      // Still a well-formed event: only the signature can tell.
      expect(JSON.parse(tampered.toString()).data.object.amount_total).toBe(900_000);
      expect(thrownBy(() => payments.verifyEvent(tampered, header))).toBeInstanceOf(WebhookSignatureError);
    });

    it('a signature older than 300 seconds, while one of 290 seconds passes', async () => {
      const { payload } = await paidSessionEvent();
      const nowSeconds = Math.floor(Date.now() / 1000);
      const stale = stand.sign(payload, { secret: WEBHOOK_SECRET, timestamp: nowSeconds - 310 });
      const recent = stand.sign(payload, { secret: WEBHOOK_SECRET, timestamp: nowSeconds - 290 });
      const error = thrownBy(() => payments.verifyEvent(Buffer.from(payload), stale));
      expect(error).toBeInstanceOf(WebhookSignatureError);
      expect((error as Error).message).toContain('tolerance');
      expect(payments.verifyEvent(Buffer.from(payload), recent).id).toBe('evt_paid_42');
    });

    it('a correctly signed body that is not JSON', () => {
      const payload = '{"id": "evt_1", "object": "event", ';
      const header = stand.sign(payload, { secret: WEBHOOK_SECRET });
      const error = thrownBy(() => payments.verifyEvent(Buffer.from(payload), header));
      expect(error).toBeInstanceOf(WebhookSignatureError);
      expect((error as Error).message).toContain('not valid JSON');
    });

    it('a correctly signed body that is not a Stripe event', () => {
      for (const payload of [
        '[]',
        '{"hello":"world"}',
        '{"id":"evt_1","type":"checkout.session.completed","created":1}',
      ]) {
        const header = stand.sign(payload, { secret: WEBHOOK_SECRET });
        expect(thrownBy(() => payments.verifyEvent(Buffer.from(payload), header))).toBeInstanceOf(
          WebhookSignatureError,
        );
      }
    });
  });

  it("judges a signature's age by the clock it is given", async () => {
    const pinnedNow = Date.parse('2026-12-01T00:00:00Z');
    const pinned = adapter({ now: () => pinnedNow });
    const payload = stand.event('checkout.session.expired', { id: 'cs_test_x', object: 'checkout.session' });
    const pinnedSeconds = pinnedNow / 1000;
    const fresh = stand.sign(payload, { secret: WEBHOOK_SECRET, timestamp: pinnedSeconds - 10 });
    const stale = stand.sign(payload, { secret: WEBHOOK_SECRET, timestamp: pinnedSeconds - 301 });
    expect(pinned.verifyEvent(Buffer.from(payload), fresh).checkout).toEqual({
      sessionId: 'cs_test_x',
      bookingId: null,
      reference: null,
      paymentStatus: 'unpaid',
      amountTotal: null,
      currency: null,
      paymentIntentId: null,
    });
    expect(thrownBy(() => pinned.verifyEvent(Buffer.from(payload), stale))).toBeInstanceOf(
      WebhookSignatureError,
    );
  });
});

describe('settings', () => {
  it.each([
    ['an empty secret key', { secretKey: '' }, 'secret key'],
    ['an empty webhook secret', { webhookSecret: ' ' }, 'webhook signing secret'],
    ['an API base that is no URL', { apiBase: '127.0.0.1:12111' }, 'must be a URL'],
    ['an API base of another scheme', { apiBase: 'ftp://127.0.0.1:12111' }, 'http or https'],
    ['an API base with a path', { apiBase: 'http://127.0.0.1:12111/stripe' }, 'origin only'],
  ])('refuse %s with a clear message', (_case, settings, message) => {
    expect(() => adapter(settings)).toThrow(message);
  });
});

describe('the stand-in, as the flow tests use it', () => {
  it('replays the first answer to a repeated idempotency key, marked Idempotent-Replayed', async () => {
    const { sessionId } = await payments.createCheckout(checkoutRequest());
    const paymentIntentId = stand.pay(sessionId).payment_intent as string;
    const post = () =>
      fetch(`${stand.apiBase}/v1/refunds`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${SECRET_KEY}`,
          'content-type': 'application/x-www-form-urlencoded',
          'idempotency-key': 'refund-replayed',
        },
        body: `payment_intent=${paymentIntentId}&amount=1000`,
      });
    const first = await post();
    const second = await post();
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await second.text()).toBe(await first.text());
    expect(stand.refunds.size).toBe(1);
  });

  it('refuses a request without the secret key with 401, as Stripe does', async () => {
    const response = await fetch(`${stand.apiBase}/v1/checkout/sessions/cs_test_x`);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: {
        type: 'invalid_request_error',
        message: expect.stringContaining('You did not provide an API key'),
      },
    });
  });

  it('judges expires_at by its own clock, and lapses a session once that clock passes it', async () => {
    let now = Date.parse('2026-12-01T00:00:00Z');
    const pinnedStand = await startStripeStandIn(SECRET_KEY, { now: () => now });
    try {
      const pinned = adapter({ apiBase: pinnedStand.apiBase });
      const { sessionId } = await pinned.createCheckout(checkoutRequest({ expiresAt: now + 40 * 60_000 }));
      now += 41 * 60_000;
      expect(() => pinnedStand.pay(sessionId)).toThrow('only an open one');
      await expect(pinned.expireCheckout(sessionId)).resolves.toBeUndefined();
      expect(pinnedStand.sessions.get(sessionId)?.status).toBe('expired');
    } finally {
      await pinnedStand.close();
    }
  });
});
