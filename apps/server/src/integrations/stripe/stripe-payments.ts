import Stripe from 'stripe';
import {
  type Checkout,
  type CheckoutRequest,
  type CheckoutSessionState,
  type PaymentProvider,
  PaymentProviderError,
  type ProviderEvent,
  type Refund,
  type RefundRequest,
  type RefundState,
  WebhookSignatureError,
} from '../../services/payment-provider.js';

export interface StripeSettings {
  /** `sk_…` or a restricted `rk_…` key */
  secretKey: string;
  /** `whsec_…`: the signing secret of the webhook endpoint that receives our events */
  webhookSecret: string;
  /**
   * Where Stripe's API answers (STRIPE_API_BASE), e.g. a stand-in at `http://127.0.0.1:12111`;
   * unset means Stripe itself.
   */
  apiBase?: string | undefined;
  /** The clock a webhook's signed timestamp is judged by (epoch ms); the system clock by default */
  now?: () => number;
}

/** How many times the SDK retries a request that failed in a way worth retrying (same idempotency key). */
const NETWORK_RETRIES = 2;
const REQUEST_TIMEOUT_MS = 10_000;

export function stripePayments(settings: StripeSettings): PaymentProvider {
  if (!settings.secretKey.trim()) throw new Error('Stripe needs a secret key (STRIPE_SECRET_KEY)');
  if (!settings.webhookSecret.trim()) {
    throw new Error('Stripe needs the webhook signing secret (STRIPE_WEBHOOK_SECRET)');
  }
  const stripe = new Stripe(settings.secretKey, {
    ...apiAddressOf(settings.apiBase),
    maxNetworkRetries: NETWORK_RETRIES,
    timeout: REQUEST_TIMEOUT_MS,
    telemetry: false,
  });
  const now = settings.now ?? Date.now;
  const providerError = (error: unknown, action: string) =>
    providerErrorOf(error, action, settings.secretKey);

  async function isClosed(sessionId: string): Promise<boolean> {
    try {
      const session = await stripe.checkout.sessions.retrieve(sessionId);
      return session.status !== 'open';
    } catch (error) {
      throw providerError(error, `read checkout ${sessionId}`);
    }
  }

  return {
    name: 'stripe',

    async createCheckout(request: CheckoutRequest): Promise<Checkout> {
      assertPositiveMinorAmount(request.amountMinor);
      assertCurrency(request.currency);
      if (!Number.isFinite(request.expiresAt)) throw new RangeError('A checkout needs a finite expiresAt');
      const bookingId = String(request.bookingId);
      let session: Stripe.Checkout.Session;
      try {
        session = await stripe.checkout.sessions.create(
          {
            mode: 'payment',
            line_items: [
              {
                quantity: 1,
                price_data: {
                  currency: request.currency.toLowerCase(),
                  unit_amount: request.amountMinor,
                  product_data: { name: request.description },
                },
              },
            ],
            metadata: { booking_id: bookingId, booking_reference: request.reference },
            // The PaymentIntent carries the booking too, so refunds and disputes seen in Stripe name it.
            payment_intent_data: { metadata: { booking_id: bookingId } },
            client_reference_id: bookingId,
            customer_email: request.customerEmail || undefined,
            // Stripe takes whole seconds; rounded down, so the checkout closes no later than asked.
            expires_at: Math.floor(request.expiresAt / 1000),
            success_url: request.successUrl,
            cancel_url: request.cancelUrl,
          },
          { idempotencyKey: request.idempotencyKey },
        );
      } catch (error) {
        throw providerError(error, `open a checkout for booking ${bookingId}`);
      }
      if (!session.url) {
        throw new PaymentProviderError(`Stripe opened checkout ${session.id} without a payment page`, false);
      }
      return { sessionId: session.id, url: session.url, expiresAt: session.expires_at * 1000 };
    },

    async expireCheckout(sessionId: string): Promise<void> {
      try {
        await stripe.checkout.sessions.expire(sessionId);
      } catch (error) {
        // Stripe refuses to expire a session that is no longer open (expired, or paid meanwhile); that
        // refusal carries no code of its own, so the session's status says whether it is that case.
        const refusedAsInvalid =
          error instanceof Stripe.errors.StripeInvalidRequestError && error.statusCode === 400;
        if (refusedAsInvalid && (await isClosed(sessionId))) return;
        throw providerError(error, `expire checkout ${sessionId}`);
      }
    },

    async refund(request: RefundRequest): Promise<Refund> {
      assertPositiveMinorAmount(request.amountMinor);
      const bookingId = String(request.bookingId);
      let refund: Stripe.Refund;
      try {
        refund = await stripe.refunds.create(
          {
            payment_intent: request.paymentIntentId,
            amount: request.amountMinor,
            metadata: { booking_id: bookingId },
          },
          { idempotencyKey: request.idempotencyKey },
        );
      } catch (error) {
        throw providerError(error, `refund booking ${bookingId}`);
      }
      return { refundId: refund.id, status: refundStatusOf(refund.status) };
    },

    verifyEvent(payload: Buffer, signatureHeader: string | undefined): ProviderEvent {
      if (!signatureHeader) throw new WebhookSignatureError('The Stripe-Signature header is missing');
      let event: unknown;
      try {
        event = stripe.webhooks.constructEvent(
          payload,
          signatureHeader,
          settings.webhookSecret,
          undefined,
          undefined,
          now(),
        );
      } catch (error) {
        throw new WebhookSignatureError(signatureFailureOf(error));
      }
      return providerEventOf(event);
    },
  };
}

/** The SDK's host, port and protocol for an API base such as `http://127.0.0.1:12111`. */
function apiAddressOf(apiBase: string | undefined): Pick<Stripe.StripeConfig, 'host' | 'port' | 'protocol'> {
  if (apiBase === undefined || apiBase === '') return {};
  let url: URL;
  try {
    url = new URL(apiBase);
  } catch {
    throw new Error(`STRIPE_API_BASE must be a URL such as http://127.0.0.1:12111, not "${apiBase}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`STRIPE_API_BASE must be an http or https URL, not "${apiBase}"`);
  }
  // The SDK always asks for /v1/… at the root of the host, so a path here would be silently dropped.
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username) {
    throw new Error(`STRIPE_API_BASE must be an origin only (scheme, host, port), not "${apiBase}"`);
  }
  const protocol = url.protocol === 'https:' ? 'https' : 'http';
  return {
    // An IPv6 literal comes bracketed from URL; Node's http.request wants it bare.
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? (protocol === 'https' ? 443 : 80) : Number(url.port),
    protocol,
  };
}

function assertPositiveMinorAmount(amountMinor: number): void {
  if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0) {
    throw new RangeError(`An amount must be a positive whole number of minor units, not ${amountMinor}`);
  }
}

function assertCurrency(currency: string): void {
  if (!/^[A-Za-z]{3}$/.test(currency)) {
    throw new RangeError(`A currency must be an ISO 4217 code such as INR, not "${currency}"`);
  }
}

/**
 * Whether trying the same request again later may succeed: the network, Stripe's own failures and
 * rate limits pass; a refused request (bad parameters, declined card, wrong key) stays refused.
 */
function isRetryable(error: Stripe.errors.StripeError): boolean {
  if (
    error instanceof Stripe.errors.StripeConnectionError ||
    error instanceof Stripe.errors.StripeAPIError ||
    error instanceof Stripe.errors.StripeRateLimitError
  ) {
    return true;
  }
  return error.statusCode !== undefined && (error.statusCode === 429 || error.statusCode >= 500);
}

/** Errors of the SDK become PaymentProviderError; anything else is a fault of ours and passes as it is. */
function providerErrorOf(error: unknown, action: string, secretKey: string): unknown {
  if (!(error instanceof Stripe.errors.StripeError)) return error;
  const status = error.statusCode === undefined ? '' : ` (HTTP ${error.statusCode})`;
  // Stripe masks keys in its messages; this guards against a message that ever quotes one whole.
  const message = `Stripe could not ${action}${status}: ${error.message}`.replaceAll(
    secretKey,
    '[secret key]',
  );
  return new PaymentProviderError(message, isRetryable(error), { cause: error });
}

/** A refund whose status Stripe does not (yet) state is taken as still settling. */
function refundStatusOf(status: string | null): Refund['status'] {
  switch (status) {
    case 'succeeded':
    case 'failed':
    case 'canceled':
    case 'requires_action':
    case 'pending':
      return status;
    default:
      return 'pending';
  }
}

/** A short reason, without the SDK's paragraphs of advice (and never the secret). */
function signatureFailureOf(error: unknown): string {
  if (error instanceof SyntaxError) return 'The signed Stripe event is not valid JSON';
  const reason = error instanceof Error ? (error.message.split(/\.\s|\n/)[0] ?? '').trim() : '';
  return `The Stripe event was rejected: ${reason || 'its signature could not be verified'}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The event, once its signature holds; a body that is not a Stripe event is refused like a bad signature. */
function providerEventOf(event: unknown): ProviderEvent {
  if (
    !isRecord(event) ||
    typeof event.id !== 'string' ||
    typeof event.type !== 'string' ||
    !Number.isSafeInteger(event.created)
  ) {
    throw new WebhookSignatureError('The signed body is not a Stripe event (id, type, created)');
  }
  const isCheckoutEvent = event.type.startsWith('checkout.session.');
  const isRefundEvent = event.type.startsWith('refund.');
  return {
    id: event.id,
    type: event.type,
    created: (event.created as number) * 1000,
    checkout: isCheckoutEvent ? checkoutStateOf(event) : null,
    refund: isRefundEvent ? refundStateOf(event) : null,
  };
}

function refundStateOf(event: Record<string, unknown>): RefundState {
  const refund = isRecord(event.data) ? event.data.object : undefined;
  if (!isRecord(refund) || typeof refund.id !== 'string') {
    throw new WebhookSignatureError(`The signed ${String(event.type)} event carries no refund`);
  }
  return {
    refundId: refund.id,
    status: refundStatusOf(typeof refund.status === 'string' ? refund.status : null),
  };
}

function checkoutStateOf(event: Record<string, unknown>): CheckoutSessionState {
  const session = isRecord(event.data) ? event.data.object : undefined;
  if (!isRecord(session) || typeof session.id !== 'string') {
    throw new WebhookSignatureError(`The signed ${String(event.type)} event carries no checkout session`);
  }
  const metadata = isRecord(session.metadata) ? session.metadata : {};
  const paymentIntent = session.payment_intent;
  return {
    sessionId: session.id,
    bookingId: bookingIdOf(metadata.booking_id),
    reference: typeof metadata.booking_reference === 'string' ? metadata.booking_reference : null,
    paymentStatus: paymentStatusOf(session.payment_status),
    amountTotal: Number.isSafeInteger(session.amount_total) ? (session.amount_total as number) : null,
    currency: typeof session.currency === 'string' ? session.currency.toUpperCase() : null,
    paymentIntentId:
      typeof paymentIntent === 'string'
        ? paymentIntent
        : isRecord(paymentIntent) && typeof paymentIntent.id === 'string'
          ? paymentIntent.id
          : null,
  };
}

/** The largest id a booking can have (a 32-bit signed integer column). */
const MAX_BOOKING_ID = 2_147_483_647;

/** We write booking ids as plain decimal digits; anything else (or larger) names no booking of ours. */
function bookingIdOf(value: unknown): number | null {
  if (typeof value !== 'string' || !/^[1-9][0-9]{0,9}$/.test(value)) return null;
  const id = Number(value);
  return id <= MAX_BOOKING_ID ? id : null;
}

/** A status Stripe may add later is not a payment: only `paid` (and `no_payment_required`) confirm. */
function paymentStatusOf(value: unknown): CheckoutSessionState['paymentStatus'] {
  return value === 'paid' || value === 'no_payment_required' ? value : 'unpaid';
}
