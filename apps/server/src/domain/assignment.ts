import { dayNumber } from './calendar.js';
import type { Interval } from './interval.js';
import { wallClockAt } from './zone.js';

export interface MentorCandidate {
  mentorId: number;
  timezone: string;
  /** The mentor's confirmed sessions, in any order. */
  sessions: Interval[];
}

interface Standing {
  mentorId: number;
  /** Booking next to an existing session keeps the mentor's day in one block instead of fragmenting it. */
  backToBack: boolean;
  /** Spreads load: the mentor with the lighter local day is preferred. */
  sessionsThatDay: number;
}

function standingOf(candidate: MentorCandidate, slot: Interval): Standing {
  const { timezone, sessions } = candidate;
  const slotDay = dayNumber(wallClockAt(timezone, slot.start));
  let backToBack = false;
  let sessionsThatDay = 0;
  for (const session of sessions) {
    if (session.end === slot.start || session.start === slot.end) backToBack = true;
    // A session belongs to the local day it starts on, as the mentor would see it in a calendar.
    if (dayNumber(wallClockAt(timezone, session.start)) === slotDay) sessionsThatDay++;
  }
  return { mentorId: candidate.mentorId, backToBack, sessionsThatDay };
}

function preferred(a: Standing, b: Standing): number {
  if (a.backToBack !== b.backToBack) return a.backToBack ? -1 : 1;
  if (a.sessionsThatDay !== b.sessionsThatDay) return a.sessionsThatDay - b.sessionsThatDay;
  return a.mentorId - b.mentorId;
}

/**
 * Mentor ids, best first, for a slot all candidates are free for. The whole order is returned so a
 * booking that loses a race for the first mentor can try the next. The order depends only on the
 * candidates, never on the order they are given in.
 */
export function rankMentors(candidates: readonly MentorCandidate[], slot: Interval): number[] {
  const ranked = candidates.map((candidate) => standingOf(candidate, slot)).sort(preferred);
  return [...new Set(ranked.map((standing) => standing.mentorId))];
}

export function chooseMentor(candidates: readonly MentorCandidate[], slot: Interval): number | null {
  return rankMentors(candidates, slot)[0] ?? null;
}
