import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymously, booking, demo, NOW, startTestApp, type TestApp } from '../support/app.js';

interface Mentor {
  id: number;
  name: string;
  headline: string | null;
  areas_of_expertise: string[];
  is_premium: boolean;
  timezone: string;
  availability: string[];
}

interface Slot {
  start_time: string;
  end_time: string;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const premiumIds = [3, 7, 12, 16, 19];
const allIds = Array.from({ length: 20 }, (_, index) => index + 1);

const idsOf = (mentors: { id: number }[]) => mentors.map((mentor) => mentor.id);
const fieldPathsOf = (body: { errors?: { path: string }[] }) =>
  (body.errors ?? []).map((error) => error.path);

/** The target of a `Link: <…>; rel="next"` header, or null without one. */
function nextLinkOf(headers: Record<string, unknown>): string | null {
  const link = headers.link;
  if (link === undefined) return null;
  const match = /^<([^>]+)>;\s*rel="next"$/.exec(String(link));
  expect(match, `Link header ${String(link)}`).not.toBeNull();
  return match?.[1] ?? null;
}

describe('listing mentors', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers the seed’s shape as a bare array of every demo mentor, by id', async () => {
    const response = await t.api.get<Mentor[]>('/api/mentors', anonymously);
    expect(response.status).toBe(200);
    expect(Array.isArray(response.body)).toBe(true);
    expect(idsOf(response.body)).toEqual(allIds);
    expect(response.headers.link).toBeUndefined();
    for (const mentor of response.body) {
      expect(mentor).toMatchObject({
        id: expect.any(Number),
        name: expect.any(String),
        areas_of_expertise: expect.any(Array),
        availability: expect.any(Array),
        is_premium: expect.any(Boolean),
      });
      expect(mentor.areas_of_expertise.length).toBeGreaterThan(0);
      for (const start of mentor.availability)
        expect(start).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/);
    }
    expect(response.body[demo.rohan - 1]).toMatchObject({
      id: demo.rohan,
      name: 'Rohan Mehta',
      areas_of_expertise: ['Corporate Finance', 'Equity Research'],
      is_premium: false,
    });
  });

  it('gives as availability the open 30-minute starts of the next 7 days', async () => {
    const rohan = (await t.api.get<Mentor[]>('/api/mentors?area_of_expertise=Corporate%20Finance')).body[0];
    expect(rohan?.id).toBe(demo.rohan);
    const starts = rohan?.availability ?? [];
    // Mon–Fri 19:00–23:00 IST: 15 starts an evening, on Tue 1 … Fri 4 and Mon 7 December.
    expect(starts).toHaveLength(75);
    expect(starts[0]).toBe('2026-12-01T13:30:00.000Z');
    expect(starts.at(-1)).toBe('2026-12-07T17:00:00.000Z');
    expect(starts.some((start) => start.startsWith('2026-12-05') || start.startsWith('2026-12-06'))).toBe(
      false,
    );
    for (const start of starts) {
      expect(Date.parse(start)).toBeGreaterThanOrEqual(NOW);
      expect(Date.parse(start)).toBeLessThan(NOW + 7 * DAY);
    }
  });

  it.each(['Equity Research', 'equity research', 'EQUITY RESEARCH', ' Equity Research ', 'equity-research'])(
    'filters by area name, case-insensitively, or by slug (%j)',
    async (area) => {
      const response = await t.api.get<Mentor[]>(
        `/api/mentors?area_of_expertise=${encodeURIComponent(area)}`,
        anonymously,
      );
      expect(response.status).toBe(200);
      expect(idsOf(response.body)).toEqual([demo.rohan, demo.priya, 12]);
      for (const mentor of response.body) expect(mentor.areas_of_expertise).toContain('Equity Research');
    },
  );

  it('answers an empty array for an unknown area', async () => {
    const response = await t.api.get('/api/mentors?area_of_expertise=Astrology', anonymously);
    expect(response.status).toBe(200);
    expect(response.body).toEqual([]);
    expect(response.headers.link).toBeUndefined();
  });

  it('filters by is_premium=true and is_premium=false', async () => {
    const premium = await t.api.get<Mentor[]>('/api/mentors?is_premium=true', anonymously);
    expect(idsOf(premium.body)).toEqual(premiumIds);
    expect(premium.body.every((mentor) => mentor.is_premium)).toBe(true);
    const standard = await t.api.get<Mentor[]>('/api/mentors?is_premium=false', anonymously);
    expect(idsOf(standard.body)).toEqual(allIds.filter((id) => !premiumIds.includes(id)));
    expect(standard.body.every((mentor) => !mentor.is_premium)).toBe(true);
  });

  it('combines the area and premium filters', async () => {
    const response = await t.api.get<Mentor[]>(
      '/api/mentors?area_of_expertise=Equity%20Research&is_premium=true',
      anonymously,
    );
    expect(idsOf(response.body)).toEqual([demo.priya, 12]);
  });

  it('refuses an is_premium that is not a boolean', async () => {
    const response = await t.api.get('/api/mentors?is_premium=yes', anonymously);
    expect(response.status).toBe(400);
    expect(fieldPathsOf(response.body)).toEqual(['/is_premium']);
  });

  it('lists the starts of the requested duration: 45- and 60-minute sessions end inside the window', async () => {
    const availabilityFor = async (duration: number) =>
      (await t.api.get<Mentor>(`/api/mentors/${demo.rohan}?duration=${duration}`, anonymously)).body
        .availability;
    const thirty = await availabilityFor(30);
    const fortyFive = await availabilityFor(45);
    const sixty = await availabilityFor(60);
    expect(fortyFive).not.toEqual(thirty);
    expect(thirty).toContain('2026-12-01T17:00:00.000Z'); // 22:30 IST: 30 minutes fit before 23:00
    expect(fortyFive).not.toContain('2026-12-01T17:00:00.000Z');
    expect(fortyFive).toContain('2026-12-01T16:45:00.000Z'); // 22:15 IST: 45 minutes fit
    expect(sixty).not.toContain('2026-12-01T16:45:00.000Z');
    expect(sixty.at(-1)).toBe('2026-12-07T16:30:00.000Z');
    expect([thirty.length, fortyFive.length, sixty.length]).toEqual([75, 70, 65]);

    const listed = await t.api.get<Mentor[]>('/api/mentors?duration=45', anonymously);
    expect(listed.body.find((mentor) => mentor.id === demo.rohan)?.availability).toEqual(fortyFive);
  });

  it('refuses a duration other than 30, 45 or 60', async () => {
    const response = await t.api.get('/api/mentors?duration=50', anonymously);
    expect([response.status, response.body.code]).toEqual([400, 'invalid_request']);
    expect(fieldPathsOf(response.body)).toEqual(['/duration']);
  });

  it('lists availability over the from/to window, local times read in Asia/Kolkata', async () => {
    const response = await t.api.get<Mentor[]>(
      '/api/mentors?area_of_expertise=Corporate%20Finance&from=2026-12-02T00:00:00&to=2026-12-03T00:00:00',
      anonymously,
    );
    expect(response.status).toBe(200);
    const starts = response.body.find((mentor) => mentor.id === demo.rohan)?.availability ?? [];
    expect(starts).toHaveLength(15);
    expect(starts[0]).toBe('2026-12-02T13:30:00.000Z');
    expect(starts.at(-1)).toBe('2026-12-02T17:00:00.000Z');
  });

  it.each([
    ['2026-12-05T00:00:00Z', '2026-12-04T00:00:00Z'],
    ['2026-12-05T00:00:00Z', '2026-12-05T00:00:00Z'],
    ['2026-12-05T05:30:00+05:30', '2026-12-05T00:00:00Z'],
  ])('refuses a window whose end is not after its start (from=%s, to=%s) with path /to', async (from, to) => {
    const response = await t.api.get(
      `/api/mentors?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
      anonymously,
    );
    expect([response.status, response.body.code]).toEqual([400, 'invalid_request']);
    expect(fieldPathsOf(response.body)).toEqual(['/to']);
  });

  it('accepts a window of 31 days and refuses a longer one with path /to', async () => {
    const exactly = await t.api.get(
      '/api/mentors?is_premium=true&from=2026-12-01T00:00:00Z&to=2027-01-01T00:00:00Z',
      anonymously,
    );
    expect(exactly.status).toBe(200);
    const longer = await t.api.get(
      '/api/mentors?is_premium=true&from=2026-12-01T00:00:00Z&to=2027-01-01T00:01:00Z',
      anonymously,
    );
    expect([longer.status, longer.body.code]).toEqual([400, 'invalid_request']);
    expect(fieldPathsOf(longer.body)).toEqual(['/to']);
  });

  it('refuses a from that is not a date-time with path /from', async () => {
    const response = await t.api.get('/api/mentors?from=tomorrow', anonymously);
    expect(response.status).toBe(400);
    expect(fieldPathsOf(response.body)).toEqual(['/from']);
  });

  it('pages with limit and a Link header that visits every mentor exactly once', async () => {
    const first = await t.api.get<Mentor[]>('/api/mentors?limit=5', anonymously);
    expect(first.status).toBe(200);
    expect(first.body).toHaveLength(5);
    expect(String(first.headers.link)).toMatch(/^<\/api\/mentors\?[^>]*cursor=[^>&]+[^>]*>; rel="next"$/);

    const seen: number[] = [...idsOf(first.body)];
    let next = nextLinkOf(first.headers);
    let pages = 1;
    while (next !== null) {
      expect(next).toContain('limit=5');
      const page = await t.api.get<Mentor[]>(next, anonymously);
      expect(page.status).toBe(200);
      expect(page.body.length).toBeGreaterThan(0);
      expect(page.body.length).toBeLessThanOrEqual(5);
      seen.push(...idsOf(page.body));
      next = nextLinkOf(page.headers);
      pages += 1;
      expect(pages).toBeLessThanOrEqual(5);
    }
    expect(pages).toBe(4);
    expect(seen).toEqual(allIds);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('keeps the filters when following the Link header', async () => {
    const seen: number[] = [];
    let next: string | null = '/api/mentors?is_premium=false&limit=4&duration=60';
    while (next !== null) {
      const page = await t.api.get<Mentor[]>(next, anonymously);
      expect(page.status).toBe(200);
      seen.push(...idsOf(page.body));
      for (const mentor of page.body) expect(mentor.is_premium).toBe(false);
      next = nextLinkOf(page.headers);
      if (next !== null) expect(next).toContain('is_premium=false');
    }
    expect(seen).toEqual(allIds.filter((id) => !premiumIds.includes(id)));
  });

  it('sends no Link header on the last page, even when it is full', async () => {
    const response = await t.api.get<Mentor[]>('/api/mentors?limit=20', anonymously);
    expect(response.body).toHaveLength(20);
    expect(response.headers.link).toBeUndefined();
  });

  it.each(['0', '201', '-1', 'ten'])('refuses limit=%s with path /limit', async (limit) => {
    const response = await t.api.get(`/api/mentors?limit=${limit}`, anonymously);
    expect([response.status, response.body.code]).toEqual([400, 'invalid_request']);
    expect(fieldPathsOf(response.body)).toEqual(['/limit']);
  });

  it('accepts limit=200, the maximum', async () => {
    const response = await t.api.get<Mentor[]>('/api/mentors?limit=200', anonymously);
    expect(response.status).toBe(200);
    expect(response.body).toHaveLength(20);
  });

  it.each(['zzz', 'not-a-cursor', '!!!', 'LTE'])(
    'refuses a cursor it did not issue (%j) with path /cursor',
    async (cursor) => {
      const response = await t.api.get(`/api/mentors?cursor=${encodeURIComponent(cursor)}`, anonymously);
      expect([response.status, response.body.code]).toEqual([400, 'invalid_request']);
      expect(fieldPathsOf(response.body)).toEqual(['/cursor']);
    },
  );
});

describe('one mentor', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers the mentor with the same availability as the listing', async () => {
    const response = await t.api.get<Mentor>(`/api/mentors/${demo.priya}`, anonymously);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      id: demo.priya,
      name: 'Priya Nair',
      headline: 'VP, Equity Research',
      areas_of_expertise: ['Equity Research', 'Investment Banking', 'Private Equity'],
      is_premium: true,
      timezone: 'Asia/Kolkata',
    });
    const listed = await t.api.get<Mentor[]>('/api/mentors?is_premium=true', anonymously);
    expect(listed.body.find((mentor) => mentor.id === demo.priya)).toEqual(response.body);
    // Tue/Thu/Sat 20:00–23:30 IST: Tuesday 1 December first, at 20:00 IST.
    expect(response.body.availability[0]).toBe('2026-12-01T14:30:00.000Z');
  });

  it('answers 404 not_found as a problem for an unknown id', async () => {
    const response = await t.api.get('/api/mentors/999', anonymously);
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({
      status: 404,
      code: 'not_found',
      type: 'urn:mentor-scheduling:problem:not_found',
      detail: expect.stringContaining('999'),
    });
  });

  it.each(['abc', '0', '-2', '1.5'])('refuses id %j with 400 and path /id', async (id) => {
    const response = await t.api.get(`/api/mentors/${id}`, anonymously);
    expect([response.status, response.body.code]).toEqual([400, 'invalid_request']);
    expect(fieldPathsOf(response.body)).toEqual(['/id']);
  });
});

describe('a mentor’s open slots', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const isOnGrid = (instant: string) => {
    const time = Date.parse(instant);
    return time % (15 * MINUTE) === 0;
  };

  it('answers mentor_id, duration, the window and slots, by default 30 minutes over the next 7 days', async () => {
    const response = await t.api.get(`/api/mentors/${demo.rohan}/slots`, anonymously);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      mentor_id: demo.rohan,
      duration: 30,
      from: '2026-12-01T00:00:00.000Z',
      to: '2026-12-08T00:00:00.000Z',
    });
    expect(response.body.slots).toHaveLength(75);
    expect(response.body.slots[0]).toEqual({
      start_time: '2026-12-01T13:30:00.000Z',
      end_time: '2026-12-01T14:00:00.000Z',
    });
    const listed = (await t.api.get<Mentor>(`/api/mentors/${demo.rohan}`, anonymously)).body.availability;
    expect(response.body.slots.map((slot: Slot) => slot.start_time)).toEqual(listed);
  });

  it.each([30, 45, 60])('ends every %i-minute slot at start + duration, on the grid', async (duration) => {
    const response = await t.api.get(
      `/api/mentors/${demo.rohan}/slots?duration=${duration}&from=2026-12-01T00:00:00Z&to=2026-12-05T00:00:00Z`,
      anonymously,
    );
    expect(response.status).toBe(200);
    expect(response.body.duration).toBe(duration);
    const slots: Slot[] = response.body.slots;
    expect(slots.length).toBeGreaterThan(0);
    for (const slot of slots) {
      expect(Date.parse(slot.end_time) - Date.parse(slot.start_time)).toBe(duration * MINUTE);
      expect(isOnGrid(slot.start_time), slot.start_time).toBe(true);
      // Inside 19:00–23:00 IST, i.e. 13:30–17:30 UTC of the same date.
      const day = slot.start_time.slice(0, 10);
      expect(Date.parse(slot.start_time)).toBeGreaterThanOrEqual(Date.parse(`${day}T13:30:00Z`));
      expect(Date.parse(slot.end_time)).toBeLessThanOrEqual(Date.parse(`${day}T17:30:00Z`));
    }
  });

  it('answers the window it used, read from local times in Asia/Kolkata', async () => {
    const response = await t.api.get(
      `/api/mentors/${demo.rohan}/slots?from=2026-12-03T00:00:00&to=2026-12-04T00:00:00`,
      anonymously,
    );
    expect(response.body).toMatchObject({
      from: '2026-12-02T18:30:00.000Z',
      to: '2026-12-03T18:30:00.000Z',
    });
    expect(response.body.slots.map((slot: Slot) => slot.start_time.slice(0, 10))).toEqual(
      Array(15).fill('2026-12-03'),
    );
  });

  it('never offers a slot inside the 2-hour minimum notice, and keeps to the 15-minute grid', async () => {
    // A mentor free from midnight UTC: NOW itself is inside the window.
    const created = await t.api.post<Mentor>('/api/mentors', {
      name: 'Early Bird',
      areas_of_expertise: ['Strategy'],
      timezone: 'UTC',
      weekly: [
        { day: 'tue', start: '00:00', end: '04:00' },
        { day: 'wed', start: '10:10', end: '11:30' },
      ],
    });
    expect(created.status).toBe(201);
    const response = await t.api.get(
      `/api/mentors/${created.body.id}/slots?from=2026-12-01T00:00:00Z&to=2026-12-03T00:00:00Z`,
      anonymously,
    );
    const starts = response.body.slots.map((slot: Slot) => slot.start_time);
    expect(starts).toEqual([
      '2026-12-01T02:00:00.000Z',
      '2026-12-01T02:15:00.000Z',
      '2026-12-01T02:30:00.000Z',
      '2026-12-01T02:45:00.000Z',
      '2026-12-01T03:00:00.000Z',
      '2026-12-01T03:15:00.000Z',
      '2026-12-01T03:30:00.000Z',
      // 10:10 is off the grid: the first start is 10:15.
      '2026-12-02T10:15:00.000Z',
      '2026-12-02T10:30:00.000Z',
      '2026-12-02T10:45:00.000Z',
      '2026-12-02T11:00:00.000Z',
    ]);
    for (const start of starts) expect(Date.parse(start)).toBeGreaterThanOrEqual(NOW + 2 * HOUR);
  });

  it('drops a slot once it is booked', async () => {
    const before = await t.api.get(
      `/api/mentors/${demo.arjun}/slots?from=2026-12-01T00:00:00&to=2026-12-02T00:00:00`,
      anonymously,
    );
    const starts: string[] = before.body.slots.map((slot: Slot) => slot.start_time);
    expect(starts).toContain('2026-12-01T12:30:00.000Z');
    const booked = await t.api.post('/api/bookings', {
      student_id: demo.students.diya,
      mentor_id: demo.arjun,
      start_time: '2026-12-01T18:00:00',
      duration: 30,
    });
    expect(booked.status).toBe(201);
    const after = await t.api.get(
      `/api/mentors/${demo.arjun}/slots?from=2026-12-01T00:00:00&to=2026-12-02T00:00:00`,
      anonymously,
    );
    const remaining: string[] = after.body.slots.map((slot: Slot) => slot.start_time);
    expect(remaining).not.toContain('2026-12-01T12:30:00.000Z');
    expect(remaining).not.toContain('2026-12-01T12:45:00.000Z');
    expect(remaining).toContain('2026-12-01T13:00:00.000Z');
    expect(remaining).toHaveLength(starts.length - 2);
  });

  it('answers 404 for an unknown mentor and 400 for a bad window or duration', async () => {
    const unknown = await t.api.get('/api/mentors/999/slots', anonymously);
    expect([unknown.status, unknown.body.code]).toEqual([404, 'not_found']);
    const backwards = await t.api.get(
      `/api/mentors/${demo.rohan}/slots?from=2026-12-03T00:00:00Z&to=2026-12-02T00:00:00Z`,
      anonymously,
    );
    expect([backwards.status, fieldPathsOf(backwards.body)]).toEqual([400, ['/to']]);
    const duration = await t.api.get(`/api/mentors/${demo.rohan}/slots?duration=90`, anonymously);
    expect([duration.status, fieldPathsOf(duration.body)]).toEqual([400, ['/duration']]);
  });
});

describe('the minimum notice later in the day', () => {
  let t: TestApp;
  beforeAll(async () => {
    // 19:35 IST on Tuesday 1 December: Rohan's evening has started.
    t = await startTestApp({}, () => Date.parse('2026-12-01T14:05:00Z'));
  });
  afterAll(() => t.close());

  it('offers the first slot two hours ahead, rounded up to the grid', async () => {
    const response = await t.api.get(
      `/api/mentors/${demo.rohan}/slots?from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z`,
      anonymously,
    );
    expect(response.body.slots.map((slot: Slot) => slot.start_time)).toEqual([
      '2026-12-01T16:15:00.000Z',
      '2026-12-01T16:30:00.000Z',
      '2026-12-01T16:45:00.000Z',
      '2026-12-01T17:00:00.000Z',
    ]);
  });
});

describe('creating mentors', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const mentorCount = async () => (await t.api.get<Mentor[]>('/api/mentors?limit=200')).body.length;

  it('answers 201 with the mentor, whose availability is computed from weekly', async () => {
    const response = await t.api.post<Mentor>('/api/mentors', {
      name: 'Zoya Khan',
      headline: 'Strategy Director',
      areas_of_expertise: ['Strategy'],
      timezone: 'UTC',
      weekly: [{ day: 'wed', start: '10:00', end: '11:00' }],
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      id: 21,
      name: 'Zoya Khan',
      headline: 'Strategy Director',
      areas_of_expertise: ['Strategy'],
      is_premium: false,
      timezone: 'UTC',
      buffer_minutes: 0,
      max_sessions_per_day: null,
      availability: ['2026-12-02T10:00:00.000Z', '2026-12-02T10:15:00.000Z', '2026-12-02T10:30:00.000Z'],
    });
    const fetched = await t.api.get<Mentor>('/api/mentors/21', anonymously);
    expect(fetched.body).toEqual(response.body);
    const availability = await t.api.get('/api/mentors/21/availability', anonymously);
    expect(availability.body).toEqual({
      mentor_id: 21,
      timezone: 'UTC',
      weekly: [{ day: 'wed', start: '10:00', end: '11:00' }],
      overrides: [],
    });
    const strategy = await t.api.get<Mentor[]>('/api/mentors?area_of_expertise=strategy', anonymously);
    expect(idsOf(strategy.body)).toContain(21);
  });

  it('reads weekly windows in the platform zone when no timezone is given', async () => {
    const response = await t.api.post<Mentor>('/api/mentors', {
      name: 'Ira Sethi',
      areas_of_expertise: ['Treasury'],
      is_premium: true,
      weekly: [{ day: 'tue', start: '19:00', end: '20:00' }],
    });
    expect(response.status).toBe(201);
    expect(response.body.timezone).toBe('Asia/Kolkata');
    expect(response.body.is_premium).toBe(true);
    expect(response.body.availability).toEqual([
      '2026-12-01T13:30:00.000Z',
      '2026-12-01T13:45:00.000Z',
      '2026-12-01T14:00:00.000Z',
    ]);
  });

  it('has no availability without weekly windows', async () => {
    const response = await t.api.post<Mentor>('/api/mentors', {
      name: 'Om Prakash',
      areas_of_expertise: ['Logistics'],
    });
    expect(response.status).toBe(201);
    expect(response.body.availability).toEqual([]);
  });

  it('takes area names in any case or as slugs, and answers the catalogue’s names', async () => {
    const response = await t.api.post<Mentor>('/api/mentors', {
      name: 'Reva Nanda',
      areas_of_expertise: ['supply chain management', 'ux-design', 'DATA SCIENCE'],
    });
    expect(response.status).toBe(201);
    expect(response.body.areas_of_expertise).toEqual([
      'Data Science',
      'Supply Chain Management',
      'UX Design',
    ]);
  });

  it('refuses an unknown area with 422 unknown_area and creates nothing', async () => {
    const before = await mentorCount();
    const response = await t.api.post('/api/mentors', {
      name: 'Nobody',
      areas_of_expertise: ['Strategy', 'Astrology'],
    });
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({
      code: 'unknown_area',
      detail: expect.stringContaining('Astrology'),
    });
    expect(await mentorCount()).toBe(before);
  });

  it('refuses a missing name with 400 and path /name', async () => {
    const response = await t.api.post('/api/mentors', { areas_of_expertise: ['Strategy'] });
    expect([response.status, response.body.code]).toEqual([400, 'invalid_request']);
    expect(fieldPathsOf(response.body)).toEqual(['/name']);
  });

  it('refuses a blank name and no areas, naming each field', async () => {
    const response = await t.api.post('/api/mentors', { name: '   ', areas_of_expertise: [] });
    expect(response.status).toBe(400);
    expect(fieldPathsOf(response.body).sort()).toEqual(['/areas_of_expertise', '/name']);
  });

  it('refuses an unknown time zone with 400 and path /timezone', async () => {
    const response = await t.api.post('/api/mentors', {
      name: 'Mars Mentor',
      areas_of_expertise: ['Strategy'],
      timezone: 'Mars/Olympus_Mons',
    });
    expect([response.status, response.body.code]).toEqual([400, 'invalid_request']);
    expect(fieldPathsOf(response.body)).toEqual(['/timezone']);
  });

  it('refuses overlapping weekly windows with the path of the offending one, creating nothing', async () => {
    const before = await mentorCount();
    const response = await t.api.post('/api/mentors', {
      name: 'Double Booked',
      areas_of_expertise: ['Strategy'],
      weekly: [
        { day: 'mon', start: '09:00', end: '10:00' },
        { day: 'wed', start: '10:00', end: '12:00' },
        { day: 'wed', start: '11:00', end: '13:00' },
      ],
    });
    expect([response.status, response.body.code]).toEqual([400, 'invalid_request']);
    expect(fieldPathsOf(response.body)).toEqual(['/weekly/2']);
    expect(await mentorCount()).toBe(before);
  });

  it('refuses a weekly window that ends before it starts, with its path', async () => {
    const response = await t.api.post('/api/mentors', {
      name: 'Backwards',
      areas_of_expertise: ['Strategy'],
      weekly: [{ day: 'fri', start: '12:00', end: '11:00' }],
    });
    expect(response.status).toBe(400);
    expect(fieldPathsOf(response.body)).toEqual(['/weekly/0/end']);
  });
});

describe('changing mentors', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('changes name, premium tier and areas, and every read follows', async () => {
    const response = await t.api.patch<Mentor>(`/api/mentors/${demo.rohan}`, {
      name: 'Rohan K. Mehta',
      is_premium: true,
      areas_of_expertise: ['Consulting', 'corporate finance'],
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      id: demo.rohan,
      name: 'Rohan K. Mehta',
      headline: 'Equity Research Associate',
      is_premium: true,
      areas_of_expertise: ['Consulting', 'Corporate Finance'],
    });
    expect((await t.api.get<Mentor>(`/api/mentors/${demo.rohan}`, anonymously)).body).toEqual(response.body);
    const equity = await t.api.get<Mentor[]>('/api/mentors?area_of_expertise=Equity%20Research', anonymously);
    expect(idsOf(equity.body)).toEqual([demo.priya, 12]);
    const consulting = await t.api.get<Mentor[]>('/api/mentors?area_of_expertise=consulting', anonymously);
    expect(idsOf(consulting.body)).toContain(demo.rohan);
    const premium = await t.api.get<Mentor[]>('/api/mentors?is_premium=true', anonymously);
    expect(idsOf(premium.body)).toEqual([demo.rohan, ...premiumIds]);
  });

  it('leaves fields that are not sent as they were', async () => {
    const response = await t.api.patch<Mentor>(`/api/mentors/${demo.ananya}`, { headline: 'Sales coach' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      name: 'Ananya Iyer',
      headline: 'Sales coach',
      is_premium: false,
      areas_of_expertise: ['FMCG Sales', 'Sales Management'],
    });
  });

  it('answers 404 not_found for an unknown mentor', async () => {
    const response = await t.api.patch('/api/mentors/999', { name: 'Ghost' });
    expect(response.status).toBe(404);
    expect(response.body.code).toBe('not_found');
  });

  it('refuses an unknown area with 422 and leaves the mentor unchanged', async () => {
    const before = (await t.api.get<Mentor>(`/api/mentors/${demo.arjun}`, anonymously)).body;
    const response = await t.api.patch(`/api/mentors/${demo.arjun}`, {
      name: 'Arjun Changed',
      areas_of_expertise: ['Astrology'],
    });
    expect([response.status, response.body.code]).toEqual([422, 'unknown_area']);
    expect((await t.api.get<Mentor>(`/api/mentors/${demo.arjun}`, anonymously)).body).toEqual(before);
  });

  it('refuses invalid values with the path of each', async () => {
    const response = await t.api.patch(`/api/mentors/${demo.arjun}`, { name: '', is_premium: 'yes' });
    expect(response.status).toBe(400);
    expect(fieldPathsOf(response.body).sort()).toEqual(['/is_premium', '/name']);
  });
});

describe('mentor availability', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const slotStartsOn = async (mentorId: number, date: string): Promise<string[]> => {
    const response = await t.api.get(
      `/api/mentors/${mentorId}/slots?from=${date}T00:00:00&to=${date}T23:59:00`,
      anonymously,
    );
    expect(response.status).toBe(200);
    return response.body.slots.map((slot: Slot) => slot.start_time);
  };

  it('answers the demo mentor’s weekly windows in their zone, with no overrides', async () => {
    const response = await t.api.get(`/api/mentors/${demo.rohan}/availability`, anonymously);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      mentor_id: demo.rohan,
      timezone: 'Asia/Kolkata',
      weekly: ['mon', 'tue', 'wed', 'thu', 'fri'].map((day) => ({ day, start: '19:00', end: '23:00' })),
      overrides: [],
    });
  });

  it('stores weekly windows and overrides as sent and reads them back', async () => {
    const input = {
      weekly: [
        { day: 'mon', start: '09:00', end: '12:00' },
        { day: 'mon', start: '14:00', end: '15:00' },
        { day: 'thu', start: '18:00', end: '24:00' },
      ],
      overrides: [
        { date: '2026-12-06', windows: [{ start: '10:00', end: '12:00' }] },
        { date: '2026-12-10', windows: [] },
      ],
    };
    const saved = await t.api.put(`/api/mentors/${demo.ananya}/availability`, input);
    expect(saved.status).toBe(200);
    expect(saved.body).toEqual({
      mentor_id: demo.ananya,
      timezone: 'Asia/Kolkata',
      ...input,
      bookings_outside_availability: [],
    });
    const read = await t.api.get(`/api/mentors/${demo.ananya}/availability`, anonymously);
    expect(read.body).toEqual({ mentor_id: demo.ananya, timezone: 'Asia/Kolkata', ...input });
  });

  it('treats an override with no windows as a day off, and one with a window as extra time', async () => {
    const divya = 9;
    expect(await slotStartsOn(divya, '2026-12-02')).toHaveLength(15);
    expect(await slotStartsOn(divya, '2026-12-06')).toEqual([]);
    const saved = await t.api.put(`/api/mentors/${divya}/availability`, {
      weekly: ['mon', 'tue', 'wed', 'thu', 'fri'].map((day) => ({ day, start: '19:00', end: '23:00' })),
      overrides: [
        { date: '2026-12-02', windows: [] },
        { date: '2026-12-06', windows: [{ start: '10:00', end: '11:00' }] },
      ],
    });
    expect(saved.status).toBe(200);
    expect(await slotStartsOn(divya, '2026-12-02')).toEqual([]);
    expect(await slotStartsOn(divya, '2026-12-03')).toHaveLength(15);
    // Sunday 6 December, 10:00–11:00 IST.
    expect(await slotStartsOn(divya, '2026-12-06')).toEqual([
      '2026-12-06T04:30:00.000Z',
      '2026-12-06T04:45:00.000Z',
      '2026-12-06T05:00:00.000Z',
    ]);
    const listed = (await t.api.get<Mentor>(`/api/mentors/${divya}`, anonymously)).body.availability;
    expect(listed.some((start) => start.startsWith('2026-12-02'))).toBe(false);
    expect(listed).toContain('2026-12-06T04:30:00.000Z');
  });

  it('clears the overrides when none are sent', async () => {
    const karthik = 4;
    await t.api.put(`/api/mentors/${karthik}/availability`, {
      weekly: [{ day: 'wed', start: '19:00', end: '20:00' }],
      overrides: [{ date: '2026-12-02', windows: [] }],
    });
    const saved = await t.api.put(`/api/mentors/${karthik}/availability`, {
      weekly: [{ day: 'wed', start: '19:00', end: '20:00' }],
    });
    expect(saved.status).toBe(200);
    expect(saved.body.overrides).toEqual([]);
    expect(await slotStartsOn(karthik, '2026-12-02')).toHaveLength(3);
  });

  it.each([
    [{ weekly: [{ day: 'mon', start: '20:00', end: '19:00' }] }, '/weekly/0/end'],
    [{ weekly: [{ day: 'mon', start: '19:00', end: '19:00' }] }, '/weekly/0/end'],
    [
      {
        weekly: [{ day: 'mon', start: '19:00', end: '20:00' }],
        overrides: [{ date: '2026-12-06', windows: [{ start: '11:00', end: '10:00' }] }],
      },
      '/overrides/0/windows/0/end',
    ],
  ])('refuses a window whose start is not before its end with its path (%j)', async (input, path) => {
    const response = await t.api.put(`/api/mentors/${demo.harsh}/availability`, input);
    expect([response.status, response.body.code]).toEqual([400, 'invalid_request']);
    expect(fieldPathsOf(response.body)).toEqual([path]);
    const unchanged = await t.api.get(`/api/mentors/${demo.harsh}/availability`, anonymously);
    expect(unchanged.body.weekly).toHaveLength(7);
  });

  it('refuses overlapping windows of one day with the path of the second', async () => {
    const response = await t.api.put(`/api/mentors/${demo.harsh}/availability`, {
      weekly: [
        { day: 'sat', start: '10:00', end: '13:00' },
        { day: 'sat', start: '12:30', end: '14:00' },
      ],
    });
    expect(response.status).toBe(400);
    expect(fieldPathsOf(response.body)).toEqual(['/weekly/1']);
  });

  it('answers 404 for an unknown mentor, reading or writing', async () => {
    const read = await t.api.get('/api/mentors/999/availability', anonymously);
    expect([read.status, read.body.code]).toEqual([404, 'not_found']);
    const write = await t.api.put('/api/mentors/999/availability', { weekly: [] });
    expect([write.status, write.body.code]).toEqual([404, 'not_found']);
  });

  it('keeps a confirmed booking the new availability no longer covers and lists its id', async () => {
    const booked = await t.api.post('/api/bookings', booking());
    expect(booked.status).toBe(201);
    const bookingId = booked.body.booking_id;

    const withoutTuesday = ['mon', 'wed', 'thu', 'fri'].map((day) => ({ day, start: '19:00', end: '23:00' }));
    const saved = await t.api.put(`/api/mentors/${demo.rohan}/availability`, { weekly: withoutTuesday });
    expect(saved.status).toBe(200);
    expect(saved.body.weekly).toEqual(withoutTuesday);
    expect(saved.body.bookings_outside_availability).toEqual([bookingId]);

    const kept = await t.api.get(`/api/bookings/${bookingId}`);
    expect(kept.status).toBe(200);
    expect(kept.body).toMatchObject({ id: bookingId, status: 'confirmed', mentor_id: demo.rohan });
    expect(await slotStartsOn(demo.rohan, '2026-12-01')).toEqual([]);

    const restored = await t.api.put(`/api/mentors/${demo.rohan}/availability`, {
      weekly: [...withoutTuesday, { day: 'tue', start: '19:00', end: '23:00' }],
    });
    expect(restored.body.bookings_outside_availability).toEqual([]);
  });
});
