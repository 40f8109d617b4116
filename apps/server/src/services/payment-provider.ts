/**
 * The port through which bookings take money: a small interface owned by the services, with one
 * adapter per payment provider (integrations/stripe/), chosen by configuration in app.ts.
 */

export interface CheckoutRequest {
  bookingId: number;
  /**
   * Names the booking in this database alone (its id and creation instant), carried by the checkout
   * and its events: databases that share a provider account each have a booking 1.
   */
  reference: string;
  /** Integer minor units (paise) */
  amountMinor: number;
  /** ISO 4217, upper case (`INR`) */
  currency: string;
  /** What the student sees on the provider's page */
  description: string;
  customerEmail: string | undefined;
  /** When the provider's checkout stops taking payment (epoch ms) */
  expiresAt: number;
  successUrl: string;
  cancelUrl: string;
  /** The same key for the same booking, so a retried call never opens a second checkout */
  idempotencyKey: string;
}

export interface Checkout {
  sessionId: string;
  url: string;
  /** Epoch ms */
  expiresAt: number;
}

export interface RefundRequest {
  bookingId: number;
  paymentIntentId: string;
  amountMinor: number;
  idempotencyKey: string;
}

export interface Refund {
  refundId: string;
  /** `pending` refunds settle later; `failed` and `canceled` ones returned nothing */
  status: 'pending' | 'succeeded' | 'failed' | 'canceled' | 'requires_action';
}

/** A checkout session as a verified provider event describes it. */
export interface CheckoutSessionState {
  sessionId: string;
  /** The booking id the checkout was opened for (from its metadata); null when it names none */
  bookingId: number | null;
  /** The `reference` the checkout was opened with; null when it carries none */
  reference: string | null;
  paymentStatus: 'paid' | 'unpaid' | 'no_payment_required';
  /** Integer minor units; null when the event does not say */
  amountTotal: number | null;
  /** ISO 4217, upper case; null when the event does not say */
  currency: string | null;
  paymentIntentId: string | null;
}

/** A refund as a verified provider event describes it (one that settled after it was asked for). */
export interface RefundState {
  refundId: string;
  status: Refund['status'];
}

/** A provider event whose signature was verified. */
export interface ProviderEvent {
  id: string;
  type: string;
  /** Epoch ms */
  created: number;
  /** Present for checkout-session events */
  checkout: CheckoutSessionState | null;
  /** Present for refund events */
  refund: RefundState | null;
}

export interface PaymentProvider {
  readonly name: 'stripe';
  createCheckout(request: CheckoutRequest): Promise<Checkout>;
  /** Closes an open checkout so that it can no longer be paid; a checkout already closed is no error. */
  expireCheckout(sessionId: string): Promise<void>;
  refund(request: RefundRequest): Promise<Refund>;
  /**
   * Verifies the signature over the exact bytes received and parses the event. A missing, wrong or
   * stale signature throws `WebhookSignatureError`.
   */
  verifyEvent(payload: Buffer, signatureHeader: string | undefined): ProviderEvent;
}

/** The provider could not be reached or failed; `retryable` when trying again later may succeed. */
export class PaymentProviderError extends Error {
  override name = 'PaymentProviderError';
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class WebhookSignatureError extends Error {
  override name = 'WebhookSignatureError';
}
