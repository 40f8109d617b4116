import type { RouterOutputs } from '@mentor-scheduling/client';
import type { Weekday } from '@mentor-scheduling/contracts';
import { skipToken, useQuery } from '@tanstack/react-query';
import { useSession } from '../../session.js';
import { useTRPC } from '../../trpc.js';

export type MentorRecord = RouterOutputs['mentors']['get'];
export type MentorBooking = RouterOutputs['bookings']['list']['items'][number];

/** The signed-in mentor's id, or null for an account not linked to a mentor. */
export function useOwnMentorId(): number | null {
  return useSession().me?.mentor_id ?? null;
}

/**
 * The signed-in mentor's own record (`mentors.get` of `me.mentor_id`): its zone is the one their
 * availability is read in and their calendar opens in. `mentorId` is null for an account that is
 * not linked to a mentor, which the pages explain instead of asking the server.
 */
export function useOwnMentor() {
  const trpc = useTRPC();
  const mentorId = useOwnMentorId();
  const mentor = useQuery(trpc.mentors.get.queryOptions(mentorId === null ? skipToken : { id: mentorId }));
  return { mentorId, mentor };
}

/** For an account with the mentor role but no mentor record: nothing to show but what to do. */
export function NotLinkedNotice() {
  return (
    <p className="notice notice-warning">
      Your account is not linked to a mentor profile yet. Ask an admin to link it.
    </p>
  );
}

export const weekdayNames: Record<Weekday, string> = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
};

import { formatMoney } from '../../money.js';

export { formatMoney };

/**
 * Who a session is with. The booking answer names only the student's id, and mentors may not read
 * student records, so the id is what can be shown; a `student_name` on the answer, should the
 * server add one, is preferred.
 */
export function studentNameOf(booking: MentorBooking): string {
  const name = (booking as MentorBooking & { student_name?: unknown }).student_name;
  return typeof name === 'string' && name.trim() !== '' ? name : `Student #${booking.student_id}`;
}
