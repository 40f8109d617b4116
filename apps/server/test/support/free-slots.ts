import type { FastifyInstance } from 'fastify';

export interface WantedBooking {
  mentor_id: number;
  start_time: string;
}

/**
 * Free 30-minute starts of the demo mentors over the next week, every fourth start of the 15-minute
 * grid, so that a 30-minute session and a mentor's buffer fit between two of them: bookings made
 * from this list seldom refuse each other.
 */
export async function freeBookings(app: FastifyInstance): Promise<WantedBooking[]> {
  const mentors = (await app.inject({ url: '/api/mentors?limit=50' })).json() as { id: number }[];
  const wanted: WantedBooking[] = [];
  for (const mentor of mentors) {
    const slots = (await app.inject({ url: `/api/mentors/${mentor.id}/slots?duration=30` })).json() as {
      slots: { start_time: string }[];
    };
    for (const [index, slot] of slots.slots.entries()) {
      if (index % 4 === 0) wanted.push({ mentor_id: mentor.id, start_time: slot.start_time });
    }
  }
  return wanted;
}
