/**
 * A stand-in of Stripe's API for the bench's payments-on bookings, in a process of its own so that its
 * work is counted neither to the server under test nor to the load generator. It is the stand-in the
 * server's tests use (apps/server/test/support), on the bench's pinned clock.
 */
import { startStripeStandIn } from '../../apps/server/test/support/stripe-stand-in.js';

const now = Number(process.env.BENCH_NOW);
const stand = await startStripeStandIn(process.env.BENCH_STRIPE_SECRET_KEY ?? '', {
  now: () => (Number.isFinite(now) ? now : Date.now()),
});
process.send?.({ type: 'ready', port: Number(new URL(stand.apiBase).port), pid: process.pid });

process.on('message', (command: { type: string }) => {
  if (command.type === 'stop') {
    stand.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  }
});
process.on('disconnect', () => process.exit(0));
