export type BookingStatus = 'confirmed' | 'cancelled' | 'completed';

/**
 * The status a booking has at `now`: a confirmed session is `completed` from its end on. Derived on
 * every read rather than written by a job at each session's end, so every process and every answer
 * agrees on it at any instant, with nothing that has to run on time.
 */
export function statusAt(stored: BookingStatus, end: number, now: number): BookingStatus {
  return stored === 'confirmed' && end <= now ? 'completed' : stored;
}
