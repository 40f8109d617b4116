/**
 * The shape of the benchmark's data set: areas, mentors' weekly availability and a deterministic
 * random source, so two runs with the same flags build the same data.
 */

export const MINUTE_MS = 60_000;
export const DAY_MS = 24 * 60 * MINUTE_MS;
export const GRID_MS = 15 * MINUTE_MS;

/** Every mentor of the data set lives in Asia/Kolkata, which has had no DST since 1945: +05:30 all year. */
export const MENTOR_TIMEZONE = 'Asia/Kolkata';
export const KOLKATA_OFFSET_MS = 330 * MINUTE_MS;

export const AREA_NAMES = [
  'FMCG Sales',
  'Equity Research',
  'Digital Marketing',
  'Product Management',
  'Consulting',
  'Investment Banking',
  'Corporate Finance',
  'Data Science',
  'Data Analytics',
  'Software Engineering',
  'UX Design',
  'Supply Chain',
  'Operations',
  'Human Resources',
  'Brand Management',
  'Market Research',
  'Private Equity',
  'Venture Capital',
  'Business Analysis',
  'Project Management',
  'Strategy',
  'Business Development',
  'Content Marketing',
  'Growth Marketing',
  'Financial Planning and Analysis',
  'Risk Management',
  'Accounting and Audit',
  'Taxation',
  'Retail Management',
  'E-commerce',
  'Public Policy',
  'Healthcare Management',
  'Hospitality',
  'Real Estate',
  'Fintech',
  'Cybersecurity',
  'Cloud Engineering',
  'Machine Learning',
  'Quality Assurance',
  'Customer Success',
] as const;

export function slugOf(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** mulberry32: small, fast, and the same sequence on every machine. */
export function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

export function shuffle<T>(random: () => number, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
export interface WeeklyWindow {
  day: Weekday;
  start: string;
  end: string;
}

function clock(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/**
 * Evenings on weekdays (starting between 18:00 and 20:00, three and a half hours) and two blocks on
 * each weekend day: what working professionals who mentor on the side publish.
 */
export function weeklyWindowsOf(mentorIndex: number): WeeklyWindow[] {
  const eveningStart = 18 * 60 + (mentorIndex % 5) * 30;
  const evening = { start: clock(eveningStart), end: clock(eveningStart + 210) };
  const weekdays: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri'];
  return [
    ...weekdays.map((day) => ({ day, ...evening })),
    { day: 'sat', start: '10:00', end: '13:00' },
    { day: 'sat', start: '15:00', end: '19:00' },
    { day: 'sun', start: '11:00', end: '14:00' },
    { day: 'sun', start: '17:00', end: '20:00' },
  ];
}

const weekdayOfIndex: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** Minutes of a `HH:MM` reading. */
export function minutesOf(text: string): number {
  const [hours = 0, minutes = 0] = text.split(':').map(Number);
  return hours * 60 + minutes;
}

/**
 * The windows of one Kolkata calendar day as UTC instants. `localDay` counts days since 1970-01-01
 * on the Kolkata calendar.
 */
export function windowsOnLocalDay(
  weekly: readonly WeeklyWindow[],
  localDay: number,
): { start: number; end: number }[] {
  const weekday = weekdayOfIndex[(new Date(localDay * DAY_MS).getUTCDay() + 6) % 7];
  const midnight = localDay * DAY_MS - KOLKATA_OFFSET_MS;
  return weekly
    .filter((window) => window.day === weekday)
    .map((window) => ({
      start: midnight + minutesOf(window.start) * MINUTE_MS,
      end: midnight + minutesOf(window.end) * MINUTE_MS,
    }));
}

export function localDayOf(instant: number): number {
  return Math.floor((instant + KOLKATA_OFFSET_MS) / DAY_MS);
}

/**
 * Which 15-minute cells of the timeline each mentor and student occupies. Every session starts on
 * the grid and lasts a whole number of cells, so two sessions overlap exactly when they share a cell.
 */
export class Calendars {
  private readonly taken = new Map<string, Set<number>>();

  private cellsOf(start: number, end: number): number[] {
    const cells: number[] = [];
    for (let cell = Math.floor(start / GRID_MS); cell * GRID_MS < end; cell++) cells.push(cell);
    return cells;
  }

  isFree(owner: string, start: number, end: number): boolean {
    const set = this.taken.get(owner);
    return !set || this.cellsOf(start, end).every((cell) => !set.has(cell));
  }

  take(owner: string, start: number, end: number): void {
    let set = this.taken.get(owner);
    if (!set) {
      set = new Set();
      this.taken.set(owner, set);
    }
    for (const cell of this.cellsOf(start, end)) set.add(cell);
  }
}
