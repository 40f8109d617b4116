import type { LightMyRequestResponse } from 'fastify';
import { NOW, startTestApp, type TestApp } from './app.js';
import { type StandInCheckoutSession, type StripeStandIn, startStripeStandIn } from './stripe-stand-in.js';

export const TEST_STRIPE_KEY = 'sk_test_mentorSchedulingSuite0123';
export const TEST_WEBHOOK_SECRET = 'whsec_mentorSchedulingSuite0123';
export const WEBHOOK_PATH = '/api/payments/stripe/webhook';

/** A clock the test moves: the app, the adapter and the stand-in all read it. */
export interface TestClock {
  (): number;
  advance(ms: number): void;
  set(instant: number): void;
}

export function testClock(start = NOW): TestClock {
  let instant = start;
  const clock = (() => instant) as TestClock;
  clock.advance = (ms) => {
    instant += ms;
  };
  clock.set = (next) => {
    instant = next;
  };
  return clock;
}

export interface PaymentsTestApp {
  t: TestApp;
  stand: StripeStandIn;
  clock: TestClock;
  /** The variables that turn payments on against this app's stand-in (for a twin or a server process) */
  paymentsEnv: Record<string, string>;
  /** Posts an event about a checkout session, signed as Stripe signs it, to `app` (this one by default) */
  deliver(
    type: string,
    session: StandInCheckoutSession | object,
    options?: { id?: string; secret?: string; app?: TestApp },
  ): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** An app with payments on (`PAYMENT_PROVIDER=stripe`) against a loopback stand-in of Stripe's API. */
export async function startPaymentsApp(
  env: Record<string, string> = {},
  clock: TestClock = testClock(),
): Promise<PaymentsTestApp> {
  const stand = await startStripeStandIn(TEST_STRIPE_KEY, { now: clock });
  const paymentsEnv = {
    PAYMENT_PROVIDER: 'stripe',
    STRIPE_SECRET_KEY: TEST_STRIPE_KEY,
    STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    STRIPE_API_BASE: stand.apiBase,
    PUBLIC_BASE_URL: 'https://sessions.example.test',
  };
  let t: TestApp;
  try {
    t = await startTestApp({ ...paymentsEnv, ...env }, clock);
  } catch (error) {
    await stand.close();
    throw error;
  }
  return {
    t,
    stand,
    clock,
    paymentsEnv,
    deliver: async (type, session, options = {}) => {
      const payload = stand.event(type, session, options.id ? { id: options.id } : {});
      return (options.app ?? t).app.inject({
        method: 'POST',
        url: WEBHOOK_PATH,
        headers: {
          'content-type': 'application/json',
          'stripe-signature': stand.sign(payload, { secret: options.secret ?? TEST_WEBHOOK_SECRET }),
        },
        payload,
      });
    },
    close: async () => {
      await t.close();
      await stand.close();
    },
  };
}

/** The stand-in's session behind a booking's checkout URL. */
export function sessionOfCheckout(stand: StripeStandIn, checkoutUrl: string): StandInCheckoutSession {
  const session = [...stand.sessions.values()].find((candidate) => candidate.url === checkoutUrl);
  if (!session) throw new Error(`No stand-in session has the URL ${checkoutUrl}`);
  return session;
}
