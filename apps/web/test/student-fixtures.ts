/**
 * What the server answers about one student, Aarav (student 1, Asia/Kolkata), for the student pages'
 * tests: shaped as the contract's schemas, built relative to the week a page asks for, since the
 * pages show the current week and the tests run on any day.
 */
import type { RouterOutputs } from '@mentor-scheduling/client';
import { DateTime } from 'luxon';
import { account } from './harness.js';

export type Booking = RouterOutputs['bookings']['get'];
export type Mentor = RouterOutputs['mentors']['get'];

export const studentEmail = 'aarav.sharma@example.com';
export const studentAccount = account('student', studentEmail);

export const aarav = {
  id: 1,
  name: 'Aarav Sharma',
  email: studentEmail,
  timezone: 'Asia/Kolkata',
  area_of_interest: 'Equity Research',
  preferred_windows: [],
  created_at: '2026-01-05T10:00:00.000Z',
};

export const areas = [
  { id: 1, name: 'Consulting', slug: 'consulting', mentor_count: 1 },
  { id: 2, name: 'Equity Research', slug: 'equity-research', mentor_count: 2 },
];

export const pricing = {
  currency: 'INR',
  premium_multiplier: 1.5,
  prices: [
    { duration: 30, standard: 2000, premium: 3000 },
    { duration: 45, standard: 3000, premium: 4500 },
    { duration: 60, standard: 4000, premium: 6000 },
  ],
};

function mentor(id: number, name: string, isPremium: boolean): Mentor {
  return {
    id,
    name,
    headline: null,
    areas_of_expertise: ['Equity Research'],
    is_premium: isPremium,
    timezone: 'Asia/Kolkata',
    buffer_minutes: 0,
    max_sessions_per_day: null,
    availability: [],
  };
}

export const rohan = mentor(2, 'Rohan Mehta', false);
export const zoya = mentor(3, 'Zoya Khan', true);
export const mentorsById = new Map([rohan, zoya].map((entry) => [entry.id, entry]));

/** A time in the week starting at `from` (a Monday 00:00 in `zone`): day 0 is Monday. */
export function inWeek(from: string, zone: string, day: number, time: string): DateTime {
  const [hour, minute] = time.split(':').map(Number);
  return DateTime.fromISO(from)
    .setZone(zone)
    .plus({ days: day })
    .set({ hour: hour ?? 0, minute: minute ?? 0, second: 0, millisecond: 0 });
}

/** A booking as the server presents it. */
export function booking(id: number, start: DateTime, changes: Partial<Booking> = {}): Booking {
  const startUtc = start.toUTC();
  return {
    id,
    student_id: 1,
    mentor_id: rohan.id,
    student_name: 'Aarav Sharma',
    mentor_name: rohan.name,
    area_of_expertise: 'Equity Research',
    start_time: startUtc.toISO() ?? '',
    end_time: startUtc.plus({ minutes: 30 }).toISO() ?? '',
    duration: 30,
    cost: 2000,
    currency: 'INR',
    status: 'confirmed',
    cancellation_reason: null,
    payment: null,
    created_at: '2026-01-05T10:00:00.000Z',
    updated_at: '2026-01-05T10:00:00.000Z',
    ...changes,
  };
}

/** A promise the test settles when it chooses: holds a server answer while the page is waiting. */
export function later<T>() {
  let settle!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    settle = resolve;
  });
  return { promise, settle };
}
