/**
 * Micro-benchmark of the domain code alone: open slots of one area over 7 days, from schedules held
 * in memory in the shape `loadSchedules` gives the services (weekly rules + busy intervals), through
 * the same domain calls `openSlotsOf` makes. No database, no HTTP.
 */
import { type AvailabilityRules, expandAvailability } from '../../apps/server/src/domain/availability.js';
import { withinDailyLimit } from '../../apps/server/src/domain/daily-limit.js';
import { findOpenSlots, type Interval } from '../../apps/server/src/domain/slots.js';
import { DAY_MS, MENTOR_TIMEZONE, MINUTE_MS } from './catalogue.js';
import type { DataSet, MentorInfo } from './dataset.js';

const policy = { gridMinutes: 15, minNoticeMinutes: 120, horizonDays: 60 };

interface Schedule {
  timezone: string;
  rules: AvailabilityRules;
  busy: Interval[];
  bufferMinutes: number;
  maxSessionsPerDay: number | null;
}

export interface MicroResult {
  area: string;
  mentors: number;
  busyIntervals: number;
  slotStarts: number;
  calls: number;
  msPerCallMedian: number;
  msPerCallMean: number;
  msPerCallP99: number;
}

/** What `searchSlots` computes once it has loaded an area: per start, how many mentors are free. */
function slotsOfArea(
  schedules: readonly Schedule[],
  from: number,
  to: number,
  now: number,
): Map<number, number> {
  const durationMinutes = 30;
  const free = new Map<number, number>();
  for (const schedule of schedules) {
    const availability = expandAvailability(schedule.rules, from, to + durationMinutes * MINUTE_MS);
    const starts = findOpenSlots({
      availability,
      busy: schedule.busy,
      durationMinutes,
      timezone: schedule.timezone,
      from,
      to,
      now,
      policy,
      bufferMinutes: schedule.bufferMinutes,
    });
    for (const start of withinDailyLimit(
      starts,
      schedule.busy,
      schedule.timezone,
      schedule.maxSessionsPerDay,
    )) {
      free.set(start, (free.get(start) ?? 0) + 1);
    }
  }
  return free;
}

/** The area with the most mentors: the slowest area to search. */
export function busiestArea(dataSet: Pick<DataSet, 'areas' | 'mentors'>): string {
  const counts = new Map<string, number>();
  for (const mentor of dataSet.mentors) {
    for (const area of mentor.areas) counts.set(area, (counts.get(area) ?? 0) + 1);
  }
  return (
    [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ??
    (dataSet.areas[0] as string)
  );
}

export function runSlotMicroBenchmark(
  dataSet: Pick<DataSet, 'areas' | 'mentors' | 'sessions'>,
  now: number,
  seconds: number,
): MicroResult {
  const area = busiestArea(dataSet);
  const from = now;
  const to = now + 7 * DAY_MS;
  const mentors = dataSet.mentors.filter((mentor: MentorInfo) => mentor.areas.includes(area));
  const ids = new Set(mentors.map((mentor) => mentor.id));
  const busyOf = new Map<number, Interval[]>(mentors.map((mentor) => [mentor.id, []]));
  // loadSchedules widens the loaded window by a day on each side.
  for (const session of dataSet.sessions) {
    if (ids.has(session.mentorId) && session.start < to + DAY_MS && session.end > from - DAY_MS) {
      busyOf.get(session.mentorId)?.push({ start: session.start, end: session.end });
    }
  }
  const schedules: Schedule[] = mentors.map((mentor) => ({
    timezone: MENTOR_TIMEZONE,
    rules: { timezone: MENTOR_TIMEZONE, weekly: mentor.weekly, overrides: [] },
    busy: busyOf.get(mentor.id) ?? [],
    bufferMinutes: 0,
    maxSessionsPerDay: null,
  }));

  let slotStarts = 0;
  for (let i = 0; i < 50; i++) slotStarts = slotsOfArea(schedules, from, to, now).size;
  const timings: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline || timings.length < 20) {
    const started = performance.now();
    slotsOfArea(schedules, from, to, now);
    timings.push(performance.now() - started);
  }
  timings.sort((a, b) => a - b);
  const round = (value: number) => Math.round(value * 1000) / 1000;
  return {
    area,
    mentors: mentors.length,
    busyIntervals: [...busyOf.values()].reduce((sum, list) => sum + list.length, 0),
    slotStarts,
    calls: timings.length,
    msPerCallMedian: round(timings[Math.floor(timings.length / 2)] as number),
    msPerCallMean: round(timings.reduce((sum, value) => sum + value, 0) / timings.length),
    msPerCallP99: round(
      timings[Math.min(timings.length - 1, Math.ceil(timings.length * 0.99) - 1)] as number,
    ),
  };
}
