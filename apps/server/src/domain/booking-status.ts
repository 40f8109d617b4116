export type BookingStatus = 'pending_payment' | 'confirmed' | 'cancelled' | 'completed' | 'expired';

/**
 * The status a booking has at `now`: a confirmed session is `completed` from its end on, and a hold
 * for payment is `expired` from its expiry on. Derived on every read rather than written by a job at
 * each instant, so every process and every answer agrees on it at any instant, with nothing that
 * has to run on time.
 */
export function statusAt(
  stored: BookingStatus,
  end: number,
  now: number,
  holdExpiresAt: number | null = null,
): BookingStatus {
  if (stored === 'confirmed' && end <= now) return 'completed';
  if (stored === 'pending_payment' && (holdExpiresAt === null || holdExpiresAt <= now)) return 'expired';
  return stored;
}

/** Whether a booking with this stored status keeps its time from others at `now`. */
export function holdsItsTime(stored: BookingStatus, now: number, holdExpiresAt: number | null): boolean {
  return (
    stored === 'confirmed' || (stored === 'pending_payment' && holdExpiresAt !== null && holdExpiresAt > now)
  );
}
