/**
 * A stand-in for the few endpoints of Stripe's API that the payments adapter uses, on a real HTTP port
 * of 127.0.0.1, answering with the shapes, status codes and error envelopes Stripe answers. Point the
 * adapter at it through `apiBase` (STRIPE_API_BASE) and drive it from the test:
 *
 *   const stand = await startStripeStandIn('sk_test_…', { now: () => NOW });
 *   const payments = stripePayments({ secretKey: 'sk_test_…', webhookSecret, apiBase: stand.apiBase, now: () => NOW });
 *   const { sessionId } = await payments.createCheckout(…);
 *   const paid = stand.pay(sessionId);                            // the student pays on Stripe's page
 *   const payload = stand.event('checkout.session.completed', paid);
 *   const signature = stand.sign(payload, { secret: webhookSecret });   // the Stripe-Signature header
 *   … POST payload to the webhook route with that header …
 *   await stand.close();
 *
 * Like Stripe, it remembers the answer to each idempotency key; unlike Stripe, it never sends webhooks
 * itself: the test decides when (and how often) an event arrives.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

/** A checkout session as Stripe describes one (the fields this stand-in keeps). */
export type StandInCheckoutSession = Pick<
  Stripe.Checkout.Session,
  | 'id'
  | 'object'
  | 'amount_subtotal'
  | 'amount_total'
  | 'cancel_url'
  | 'client_reference_id'
  | 'created'
  | 'currency'
  | 'customer_email'
  | 'expires_at'
  | 'livemode'
  | 'metadata'
  | 'mode'
  | 'payment_intent'
  | 'payment_status'
  | 'status'
  | 'success_url'
  | 'url'
>;

/** A refund as Stripe describes one (the fields this stand-in keeps). */
export type StandInRefund = Pick<
  Stripe.Refund,
  | 'id'
  | 'object'
  | 'amount'
  | 'charge'
  | 'created'
  | 'currency'
  | 'metadata'
  | 'payment_intent'
  | 'reason'
  | 'status'
>;

/** A form-encoded Stripe request body, read back into the nested object the SDK encoded. */
export type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type FormObject = { [key: string]: FormValue };

export interface RecordedStripeRequest {
  method: string;
  /** Without the query string, e.g. `/v1/checkout/sessions` */
  path: string;
  /** As received (lower-case names) */
  headers: IncomingHttpHeaders;
  /** The form body, nested: `line_items[0][price_data][unit_amount]` is `body.line_items[0].price_data.unit_amount` */
  body: FormObject;
  idempotencyKey: string | undefined;
}

export interface StripeStandInOptions {
  /**
   * The stand-in's clock (epoch ms): it judges `expires_at`, lapses open sessions, stamps `created`, and
   * is the default timestamp of `sign()`. Pass the app's clock when the app's time is pinned.
   */
  now?: () => number;
}

export interface StripeStandIn {
  /** `http://127.0.0.1:<port>`: the adapter's `apiBase` (STRIPE_API_BASE) */
  readonly apiBase: string;
  /** Every request received, in order, including those answered by `failNext` or refused */
  readonly requests: RecordedStripeRequest[];
  /** Checkout sessions by id (live objects: what Stripe would answer now) */
  readonly sessions: Map<string, StandInCheckoutSession>;
  /** Refunds by id */
  readonly refunds: Map<string, StandInRefund>;
  /**
   * The next `count` requests answer `status` (500 by default) with Stripe's error envelope, before
   * anything is done or remembered: an outage in front of the API, which the SDK may retry.
   */
  failNext(count: number, status?: number): void;
  /**
   * How new refunds start: `succeeded` (cards, the default) or `pending` (methods that settle later;
   * Stripe then tells of the outcome in a `refund.updated` event).
   */
  refundsStart: 'succeeded' | 'pending';
  /**
   * The student pays: the open session becomes complete and paid, with a new PaymentIntent (`pi_…`)
   * that refunds can draw on. `amountTotal`/`currency` override what was paid, for tests of a payment
   * that does not match its booking. Returns a copy of the session as Stripe now describes it.
   */
  pay(sessionId: string, paid?: { amountTotal?: number; currency?: string }): StandInCheckoutSession;
  /** The session lapses (Stripe's own expiry); returns a copy of it. */
  expire(sessionId: string): StandInCheckoutSession;
  /**
   * A Stripe event of `type` about `object`, as the JSON text Stripe posts. The same `id` gives the same
   * event id (for replays); `created` is in epoch seconds, like Stripe's.
   */
  event(type: string, object: object, options?: { id?: string; created?: number }): string;
  /** The `Stripe-Signature` header for `payload`; `timestamp` in epoch seconds (the stand-in's now by default). */
  sign(payload: string, options: { secret: string; timestamp?: number }): string;
  /** Stops listening and drops open connections; calling it again does nothing. */
  close(): Promise<void>;
}

export async function startStripeStandIn(
  secretKey: string,
  options: StripeStandInOptions = {},
): Promise<StripeStandIn> {
  if (!secretKey) throw new Error('The Stripe stand-in needs the secret key it should accept');
  const stand = new StandIn(secretKey, options.now ?? Date.now);
  await stand.listen();
  return stand;
}

/** Stripe's limits on a checkout's `expires_at`, from its creation. */
const MIN_CHECKOUT_LIFETIME_S = 30 * 60;
const MAX_CHECKOUT_LIFETIME_S = 24 * 60 * 60;
/** Our request and Stripe's clock are a moment apart; whole seconds round. */
const CLOCK_SLACK_S = 5;
const MAX_BODY_BYTES = 1024 * 1024;

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface RememberedAnswer {
  method: string;
  path: string;
  rawBody: string;
  answer: Answer;
}

/** What a PaymentIntent received, so refunds can be held to it. */
interface Payment {
  chargeId: string;
  amount: number;
  currency: string;
  refunded: number;
}

/** A request Stripe refuses with 400 invalid_request_error. */
class InvalidRequest extends Error {
  constructor(
    message: string,
    readonly param?: string,
    readonly code?: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

class StandIn implements StripeStandIn {
  readonly requests: RecordedStripeRequest[] = [];
  readonly sessions = new Map<string, StandInCheckoutSession>();
  readonly refunds = new Map<string, StandInRefund>();
  refundsStart: 'succeeded' | 'pending' = 'succeeded';
  private readonly payments = new Map<string, Payment>();
  private readonly answersByIdempotencyKey = new Map<string, RememberedAnswer>();
  private failures: { remaining: number; status: number } = { remaining: 0, status: 500 };
  private readonly server = createServer((req, res) => {
    this.handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        const message = `The stand-in failed: ${error instanceof Error ? error.message : String(error)}`;
        send(res, { status: 500, body: { error: { type: 'api_error', message } } });
      } else {
        res.destroy();
      }
    });
  });
  private closing: Promise<void> | null = null;
  apiBase = '';

  constructor(
    private readonly secretKey: string,
    private readonly now: () => number,
  ) {}

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        const { port } = this.server.address() as AddressInfo;
        this.apiBase = `http://127.0.0.1:${port}`;
        resolve();
      });
    });
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      // The SDK keeps connections alive; a closed stand-in must refuse them at once.
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  failNext(count: number, status = 500): void {
    if (!Number.isInteger(count) || count < 0)
      throw new RangeError(`failNext needs a count ≥ 0, not ${count}`);
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(`failNext needs an error status (400–599), not ${status}`);
    }
    this.failures = { remaining: count, status };
  }

  pay(sessionId: string, paid: { amountTotal?: number; currency?: string } = {}): StandInCheckoutSession {
    const session = this.openSession(sessionId, 'paid');
    const amount = paid.amountTotal ?? session.amount_total ?? 0;
    const currency = (paid.currency ?? session.currency ?? 'inr').toLowerCase();
    const paymentIntentId = newId('pi');
    this.payments.set(paymentIntentId, { chargeId: newId('ch'), amount, currency, refunded: 0 });
    Object.assign(session, {
      status: 'complete',
      payment_status: 'paid',
      payment_intent: paymentIntentId,
      amount_subtotal: amount,
      amount_total: amount,
      currency,
    } satisfies Partial<StandInCheckoutSession>);
    return structuredClone(session);
  }

  expire(sessionId: string): StandInCheckoutSession {
    const session = this.openSession(sessionId, 'expired');
    session.status = 'expired';
    return structuredClone(session);
  }

  event(type: string, object: object, options: { id?: string; created?: number } = {}): string {
    return JSON.stringify({
      id: options.id ?? newId('evt'),
      object: 'event',
      api_version: Stripe.API_VERSION,
      created: options.created ?? this.nowSeconds(),
      data: { object },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    });
  }

  sign(payload: string, options: { secret: string; timestamp?: number }): string {
    return Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: options.secret,
      timestamp: options.timestamp ?? this.nowSeconds(),
    });
  }

  private nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  /** A session whose `expires_at` has passed is expired, as Stripe lapses it. */
  private lapseIfDue(session: StandInCheckoutSession): StandInCheckoutSession {
    if (session.status === 'open' && this.nowSeconds() >= session.expires_at) session.status = 'expired';
    return session;
  }

  private openSession(sessionId: string, becoming: string): StandInCheckoutSession {
    const session = this.sessions.get(sessionId);
    if (!session) throw new Error(`The stand-in has no checkout session ${sessionId}`);
    if (this.lapseIfDue(session).status !== 'open') {
      throw new Error(
        `Checkout session ${sessionId} is ${session.status}; only an open one can become ${becoming} ` +
          '(build the event from an object of your own to describe anything else)',
      );
    }
    return session;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = await bodyOf(req);
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://stand-in').pathname;
    const idempotencyKey = singleHeader(req.headers['idempotency-key']);
    let body: FormObject = {};
    let unreadableBody: InvalidRequest | null = null;
    try {
      body = parseStripeForm(rawBody);
    } catch (error) {
      unreadableBody = error instanceof InvalidRequest ? error : new InvalidRequest(String(error));
    }
    this.requests.push({ method, path, headers: req.headers, body, idempotencyKey });
    const answer = this.answer({ method, path, rawBody, body, unreadableBody, idempotencyKey, req });
    send(res, {
      ...answer,
      headers: {
        'request-id': newId('req'),
        'stripe-version': singleHeader(req.headers['stripe-version']) ?? Stripe.API_VERSION,
        ...(idempotencyKey && method === 'POST' ? { 'idempotency-key': idempotencyKey } : {}),
        ...answer.headers,
      },
    });
  }

  private answer(request: {
    method: string;
    path: string;
    rawBody: string;
    body: FormObject;
    unreadableBody: InvalidRequest | null;
    idempotencyKey: string | undefined;
    req: IncomingMessage;
  }): Answer {
    if (this.failures.remaining > 0) {
      this.failures.remaining -= 1;
      return injectedFailure(this.failures.status);
    }
    const refusal = this.authenticationRefusal(request.req.headers.authorization);
    if (refusal) return refusal;
    if (request.unreadableBody) return invalidRequestAnswer(request.unreadableBody);

    const { method, path, rawBody, idempotencyKey } = request;
    // Stripe honours idempotency keys on POST only.
    const keyed = method === 'POST' && idempotencyKey !== undefined ? idempotencyKey : undefined;
    if (keyed !== undefined) {
      const remembered = this.answersByIdempotencyKey.get(keyed);
      if (remembered) {
        if (remembered.method !== method || remembered.path !== path || remembered.rawBody !== rawBody) {
          return errorAnswer(400, {
            type: 'idempotency_error',
            message:
              'Keys for idempotent requests can only be used with the same parameters they were first used ' +
              `with. Try using a key other than '${keyed}' if you meant to execute a different request.`,
          });
        }
        return { ...remembered.answer, headers: { 'idempotent-replayed': 'true' } };
      }
    }

    let answer: Answer;
    try {
      answer = { status: 200, body: this.route(method, path, request.body) };
    } catch (error) {
      if (!(error instanceof InvalidRequest)) throw error;
      answer = invalidRequestAnswer(error);
    }
    // Stripe keeps the result once the endpoint has acted; every refusal here comes before acting.
    if (keyed !== undefined && answer.status === 200) {
      this.answersByIdempotencyKey.set(keyed, { method, path, rawBody, answer });
    }
    return answer;
  }

  private authenticationRefusal(authorization: string | undefined): Answer | null {
    const key = authorization?.match(/^Bearer (.+)$/)?.[1];
    if (key === this.secretKey) return null;
    const message =
      key === undefined
        ? "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
        : `Invalid API Key provided: ${maskedKey(key)}`;
    return errorAnswer(401, { type: 'invalid_request_error', message });
  }

  private route(method: string, path: string, body: FormObject): unknown {
    if (method === 'POST' && path === '/v1/checkout/sessions') return this.createSession(body);
    if (method === 'POST' && path === '/v1/refunds') return this.createRefund(body);
    const sessionPath = path.match(/^\/v1\/checkout\/sessions\/([^/]+)(\/expire)?$/);
    if (sessionPath?.[1]) {
      const sessionId = decodeURIComponent(sessionPath[1]);
      if (method === 'GET' && !sessionPath[2]) return this.retrieveSession(sessionId);
      if (method === 'POST' && sessionPath[2]) return this.expireSession(sessionId, body);
    }
    throw new InvalidRequest(
      `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
      undefined,
      undefined,
      404,
    );
  }

  private createSession(body: FormObject): StandInCheckoutSession {
    refuseUnknownParams(body, [
      'mode',
      'line_items',
      'metadata',
      'payment_intent_data',
      'client_reference_id',
      'customer_email',
      'expires_at',
      'success_url',
      'cancel_url',
      'expand',
    ]);
    const mode = stringParam(body, 'mode', true);
    if (mode !== 'payment') {
      throw new InvalidRequest(`The stand-in opens checkouts in payment mode only, not "${mode}".`, 'mode');
    }
    const { total, currency } = lineItemsTotal(body.line_items);
    const nowSeconds = this.nowSeconds();
    const expiresAt = integerParam(body, 'expires_at') ?? nowSeconds + MAX_CHECKOUT_LIFETIME_S;
    if (expiresAt < nowSeconds + MIN_CHECKOUT_LIFETIME_S - CLOCK_SLACK_S) {
      throw new InvalidRequest(
        'The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.',
        'expires_at',
      );
    }
    if (expiresAt > nowSeconds + MAX_CHECKOUT_LIFETIME_S + CLOCK_SLACK_S) {
      throw new InvalidRequest(
        'The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.',
        'expires_at',
      );
    }
    const successUrl = urlParam(body, 'success_url');
    const cancelUrl = urlParam(body, 'cancel_url');
    const customerEmail = stringParam(body, 'customer_email');
    if (customerEmail !== undefined && !/^[^@\s]+@[^@\s]+$/.test(customerEmail)) {
      throw new InvalidRequest(`Invalid email address: ${customerEmail}`, 'customer_email');
    }
    const clientReferenceId = stringParam(body, 'client_reference_id');
    if (clientReferenceId !== undefined && clientReferenceId.length > 200) {
      throw new InvalidRequest('client_reference_id must be at most 200 characters.', 'client_reference_id');
    }
    const metadata = metadataParam(body.metadata, 'metadata');
    const intentData = body.payment_intent_data;
    if (intentData !== undefined) {
      if (!isFormObject(intentData)) throw new InvalidRequest('Invalid object', 'payment_intent_data');
      refuseUnknownParams(intentData, ['metadata'], 'payment_intent_data');
      metadataParam(intentData.metadata, 'payment_intent_data[metadata]');
    }

    const id = newId('cs_test', 58);
    const session: StandInCheckoutSession = {
      id,
      object: 'checkout.session',
      amount_subtotal: total,
      amount_total: total,
      cancel_url: cancelUrl ?? null,
      client_reference_id: clientReferenceId ?? null,
      created: nowSeconds,
      currency,
      customer_email: customerEmail ?? null,
      expires_at: expiresAt,
      livemode: false,
      metadata,
      mode: 'payment',
      // Stripe creates the PaymentIntent when the customer pays.
      payment_intent: null,
      payment_status: 'unpaid',
      status: 'open',
      success_url: successUrl ?? null,
      url: `https://checkout.stripe.test/c/pay/${id}`,
    };
    this.sessions.set(id, session);
    return session;
  }

  private existingSession(sessionId: string): StandInCheckoutSession {
    const session = this.sessions.get(sessionId);
    if (!session) {
      throw new InvalidRequest(
        `No such checkout.session: '${sessionId}'`,
        'session',
        'resource_missing',
        404,
      );
    }
    return this.lapseIfDue(session);
  }

  private retrieveSession(sessionId: string): StandInCheckoutSession {
    return this.existingSession(sessionId);
  }

  private expireSession(sessionId: string, body: FormObject): StandInCheckoutSession {
    refuseUnknownParams(body, ['expand']);
    const session = this.existingSession(sessionId);
    if (session.status !== 'open') {
      throw new InvalidRequest(
        `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of \`${session.status}\`.`,
      );
    }
    session.status = 'expired';
    return session;
  }

  private createRefund(body: FormObject): StandInRefund {
    refuseUnknownParams(body, ['payment_intent', 'amount', 'metadata', 'reason', 'expand']);
    const paymentIntentId = stringParam(body, 'payment_intent');
    if (paymentIntentId === undefined) {
      throw new InvalidRequest(
        'One of the following params should be provided for this request: payment_intent or charge.',
      );
    }
    const payment = this.payments.get(paymentIntentId);
    if (!payment) {
      throw new InvalidRequest(
        `No such payment_intent: '${paymentIntentId}'`,
        'payment_intent',
        'resource_missing',
      );
    }
    const unrefunded = payment.amount - payment.refunded;
    if (unrefunded === 0) {
      throw new InvalidRequest(
        `Charge ${payment.chargeId} has already been refunded.`,
        undefined,
        'charge_already_refunded',
      );
    }
    const amount = integerParam(body, 'amount') ?? unrefunded;
    if (amount <= 0) throw new InvalidRequest('Invalid positive integer', 'amount');
    if (amount > unrefunded) {
      throw new InvalidRequest(
        `Refund amount (${amount}) is greater than unrefunded amount on charge (${unrefunded})`,
        'amount',
        'amount_too_large',
      );
    }
    const reason = stringParam(body, 'reason');
    if (reason !== undefined && !['duplicate', 'fraudulent', 'requested_by_customer'].includes(reason)) {
      throw new InvalidRequest(`Invalid reason: ${reason}`, 'reason');
    }
    payment.refunded += amount;
    const refund: StandInRefund = {
      id: newId('re'),
      object: 'refund',
      amount,
      charge: payment.chargeId,
      created: this.nowSeconds(),
      currency: payment.currency,
      metadata: metadataParam(body.metadata, 'metadata'),
      payment_intent: paymentIntentId,
      reason: (reason as StandInRefund['reason']) ?? null,
      status: this.refundsStart,
    };
    this.refunds.set(refund.id, refund);
    return refund;
  }
}

/** Stripe-looking ids: a prefix and random letters and digits. */
function newId(prefix: string, length = 24): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  let suffix = '';
  for (const byte of bytes) suffix += alphabet[byte % alphabet.length];
  return `${prefix}_${suffix}`;
}

function maskedKey(key: string): string {
  const prefix = key.match(/^[a-z]{2}_(test|live)_/)?.[0] ?? '';
  return `${prefix}${'*'.repeat(Math.max(key.length - prefix.length - 4, 0))}${key.slice(-4)}`;
}

function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function bodyOf(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, answer: Answer): void {
  const text = JSON.stringify(answer.body, null, 2);
  res.writeHead(answer.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...answer.headers,
  });
  res.end(text);
}

function errorAnswer(
  status: number,
  error: { type: string; message: string; code?: string | undefined; param?: string | undefined },
): Answer {
  return {
    status,
    body: {
      error: {
        ...(error.code
          ? { code: error.code, doc_url: `https://stripe.com/docs/error-codes/${error.code}` }
          : {}),
        message: error.message,
        ...(error.param ? { param: error.param } : {}),
        type: error.type,
      },
    },
  };
}

function invalidRequestAnswer(error: InvalidRequest): Answer {
  return errorAnswer(error.status, {
    type: 'invalid_request_error',
    message: error.message,
    code: error.code,
    param: error.param,
  });
}

function injectedFailure(status: number): Answer {
  if (status === 429) {
    return errorAnswer(429, {
      type: 'invalid_request_error',
      code: 'rate_limit',
      message:
        'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.',
    });
  }
  if (status >= 500) {
    return errorAnswer(status, {
      type: 'api_error',
      message: `The stand-in was told to fail this request with ${status}.`,
    });
  }
  return errorAnswer(status, {
    type: 'invalid_request_error',
    message: `The stand-in was told to refuse this request with ${status}.`,
  });
}

function isFormObject(value: FormValue | undefined): value is FormObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function refuseUnknownParams(body: FormObject, known: string[], parent?: string): void {
  for (const name of Object.keys(body)) {
    if (!known.includes(name)) {
      throw new InvalidRequest(
        `Received unknown parameter: ${parent ? `${parent}[${name}]` : name}`,
        parent ? `${parent}[${name}]` : name,
      );
    }
  }
}

function stringParam(body: FormObject, name: string, required = false): string | undefined {
  const value = body[name];
  if (value === undefined) {
    if (required) throw new InvalidRequest(`Missing required param: ${name}.`, name);
    return undefined;
  }
  if (typeof value !== 'string') throw new InvalidRequest(`Invalid string: ${name}`, name);
  return value;
}

function integerParam(body: FormObject, name: string, paramPath = name): number | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^-?[0-9]+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidRequest(`Invalid integer: ${typeof value === 'string' ? value : paramPath}`, paramPath);
  }
  return Number(value);
}

function urlParam(body: FormObject, name: string): string | undefined {
  const value = stringParam(body, name);
  if (value === undefined) return undefined;
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {}
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new InvalidRequest('Not a valid URL', name);
  }
  return value;
}

/** Stripe's metadata: at most 50 keys of up to 40 characters, string values of up to 500. */
function metadataParam(value: FormValue | undefined, param: string): Record<string, string> {
  if (value === undefined || value === '') return {};
  if (!isFormObject(value)) throw new InvalidRequest('Invalid object', param);
  const entries = Object.entries(value);
  if (entries.length > 50) throw new InvalidRequest('Metadata can have at most 50 keys.', param);
  const metadata: Record<string, string> = {};
  for (const [key, item] of entries) {
    if (typeof item !== 'string')
      throw new InvalidRequest('Metadata values must be strings.', `${param}[${key}]`);
    if (key.length > 40 || item.length > 500) {
      throw new InvalidRequest(
        'Metadata keys are at most 40 characters, values at most 500.',
        `${param}[${key}]`,
      );
    }
    metadata[key] = item;
  }
  return metadata;
}

/** The total of `line_items` given with `price_data` (this stand-in keeps no catalogue of prices). */
function lineItemsTotal(value: FormValue | undefined): { total: number; currency: string } {
  if (value === undefined) throw new InvalidRequest('Missing required param: line_items.', 'line_items');
  if (!Array.isArray(value) || value.length === 0) throw new InvalidRequest('Invalid array', 'line_items');
  let total = 0;
  let currency: string | undefined;
  value.forEach((item, index) => {
    const at = `line_items[${index}]`;
    if (!isFormObject(item)) throw new InvalidRequest('Invalid object', at);
    refuseUnknownParams(item, ['quantity', 'price_data'], at);
    const quantity = integerParam(item, 'quantity', `${at}[quantity]`);
    if (quantity === undefined)
      throw new InvalidRequest(`Missing required param: ${at}[quantity].`, `${at}[quantity]`);
    if (quantity < 1) throw new InvalidRequest('Invalid positive integer', `${at}[quantity]`);
    const price = item.price_data;
    if (!isFormObject(price)) {
      throw new InvalidRequest(`Missing required param: ${at}[price_data].`, `${at}[price_data]`);
    }
    refuseUnknownParams(price, ['currency', 'unit_amount', 'product_data'], `${at}[price_data]`);
    const itemCurrency = stringParam(price, 'currency', true)?.toLowerCase() ?? '';
    if (!/^[a-z]{3}$/.test(itemCurrency)) {
      throw new InvalidRequest(`Invalid currency: ${itemCurrency}`, `${at}[price_data][currency]`);
    }
    if (currency !== undefined && currency !== itemCurrency) {
      throw new InvalidRequest('All line items must use the same currency.', `${at}[price_data][currency]`);
    }
    currency = itemCurrency;
    const unitAmount = integerParam(price, 'unit_amount', `${at}[price_data][unit_amount]`);
    if (unitAmount === undefined || unitAmount < 0) {
      throw new InvalidRequest('Invalid non-negative integer', `${at}[price_data][unit_amount]`);
    }
    const product = price.product_data;
    if (!isFormObject(product) || typeof product.name !== 'string' || product.name === '') {
      throw new InvalidRequest(
        `Missing required param: ${at}[price_data][product_data][name].`,
        `${at}[price_data][product_data][name]`,
      );
    }
    total += unitAmount * quantity;
  });
  return { total, currency: currency as string };
}

/**
 * Reads a body the way the SDK writes one (`a[b][0][c]=v`, URL-encoded) back into nested objects and
 * arrays; a name used both as a value and as a container is refused, as Stripe refuses it.
 */
export function parseStripeForm(raw: string): FormObject {
  const root: FormObject = {};
  for (const [name, value] of new URLSearchParams(raw)) {
    const parts = name.match(/^([^[\]]+)((?:\[[^[\]]*\])*)$/);
    if (!parts?.[1]) throw new InvalidRequest(`Invalid parameter name: ${name}`);
    const path = [parts[1], ...[...(parts[2] ?? '').matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1] ?? '')];
    if (path.some((key) => key === '__proto__' || key === 'constructor' || key === 'prototype')) {
      throw new InvalidRequest(`Invalid parameter name: ${name}`);
    }
    let container: FormObject = root;
    path.forEach((key, depth) => {
      // `a[]=x&a[]=y` appends, as `expand[]` does.
      const slot = key === '' ? String(Object.keys(container).length) : key;
      const existing = container[slot];
      if (depth === path.length - 1) {
        if (existing !== undefined) throw new InvalidRequest(`Received a parameter twice: ${name}`, name);
        container[slot] = value;
        return;
      }
      if (existing === undefined) container[slot] = {};
      const next = container[slot];
      if (!isFormObject(next)) throw new InvalidRequest(`Invalid parameter name: ${name}`, name);
      container = next;
    });
  }
  return arraysFromIndexedObjects(root) as FormObject;
}

/** `{0: …, 1: …}` (every key an index from 0, in order) is the array the SDK encoded. */
function arraysFromIndexedObjects(value: FormValue): FormValue {
  if (!isFormObject(value)) return value;
  const keys = Object.keys(value);
  const converted: FormObject = {};
  for (const key of keys) converted[key] = arraysFromIndexedObjects(value[key] as FormValue);
  const isIndexed = keys.length > 0 && keys.every((key, index) => key === String(index));
  return isIndexed ? keys.map((key) => converted[key] as FormValue) : converted;
}
