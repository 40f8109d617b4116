/**
 * What the use cases report as it happens, for the operators' metrics (GET /metrics). A port owned
 * here: the use cases know nothing of the metrics library, and the adapter (metrics/app-metrics.ts)
 * decides how each report is counted. Reports are made once the change they tell of has committed.
 */

/** How a booking's life moved on: made (held or confirmed), cancelled, moved, or a hold let go unpaid. */
export type BookingChange = 'made' | 'cancelled' | 'rescheduled' | 'expired';

/** The reads that compute open slots. */
export type SlotSearch = 'slots.search' | 'mentors.list' | 'mentors.get' | 'mentors.slots';

/**
 * What became of a payment provider's event: applied, already received (`duplicate`), received but
 * not acted on (`ignored`), refused for its signature, refused because payments are off, or not
 * applied because the work failed (the provider sends it again).
 */
export type PaymentEventOutcome =
  | 'applied'
  | 'duplicate'
  | 'ignored'
  | 'invalid_signature'
  | 'payments_off'
  | 'failed';

export type DeliveryChannel = 'email' | 'webhook';

export interface ServiceMetrics {
  bookingsChanged(change: BookingChange, count?: number): void;
  /** Time spent computing open slots for one read (kept answers reused compute nothing, report nothing) */
  slotsComputed(search: SlotSearch, seconds: number): void;
  paymentEventReceived(outcome: PaymentEventOutcome): void;
  /** A try to deliver an outbox message failed; `final` when it became a dead letter */
  deliveryFailed(channel: DeliveryChannel, final: boolean): void;
}

/** For work run outside an app (tools, tests that call a use case directly): nothing is counted. */
export const uncountedMetrics: ServiceMetrics = {
  bookingsChanged() {},
  slotsComputed() {},
  paymentEventReceived() {},
  deliveryFailed() {},
};

/** Runs `compute` and reports the time it took as a slot computation of `search`. */
export async function timedSlotComputation<T>(
  metrics: ServiceMetrics,
  search: SlotSearch,
  compute: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  try {
    return await compute();
  } finally {
    metrics.slotsComputed(search, (performance.now() - started) / 1000);
  }
}
