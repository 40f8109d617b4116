import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { booking, demo, loginAs, NOW, startTestApp, type TestApp } from '../support/app.js';

/**
 * Mentors pages and mentors are kept answers (services/answer-cache.ts): reused while the data
 * version and the clock minute stay the same. These tests prove the reuse happens, and that every
 * write, by this app or by another one on the same database (another server process), shows at once.
 */

const MINUTE = 60_000;
const listUrl = '/api/mentors?area_of_expertise=Equity%20Research&duration=30';

type Mentor = { id: number; availability: string[] };
const startsOf = (body: Mentor[], mentorId: number) =>
  body.find((m) => m.id === mentorId)?.availability ?? [];

/** Counts the SQL statements an app sends while `run` runs. */
async function statementsDuring(target: TestApp, run: () => Promise<unknown>): Promise<string[]> {
  const statements: string[] = [];
  const listener = (query: { sql: string }) => statements.push(query.sql);
  target.app.db.knex.on('query', listener);
  try {
    await run();
  } finally {
    target.app.db.knex.off('query', listener);
  }
  return statements;
}

const readsData = (sql: string) => !/data_version|pg_current_snapshot/.test(sql);

/**
 * The statements that read data while `repeat` runs. On PostgreSQL the version is the cluster's
 * snapshot, which the suites running beside this one move with their own writes, so the repeat is
 * tried until one runs with no write anywhere in between: that one must be served from memory.
 */
async function dataReadsOfRepeat(target: TestApp, repeat: () => Promise<unknown>): Promise<string[]> {
  let dataReads: string[] = [];
  for (let attempt = 0; attempt < 50 && (attempt === 0 || dataReads.length > 0); attempt++) {
    dataReads = (await statementsDuring(target, repeat)).filter(readsData);
  }
  return dataReads;
}

/** A server, and a second one on its database as another process would be, on a clock the tests set. */
function serversOnOneDatabase() {
  const setup = {
    clock: NOW,
    server: undefined as unknown as TestApp,
    otherProcess: undefined as unknown as TestApp,
  };
  beforeAll(async () => {
    setup.server = await startTestApp({}, () => setup.clock);
    setup.otherProcess = await setup.server.twin(() => setup.clock);
  });
  afterAll(async () => {
    await setup.otherProcess?.close();
    await setup.server?.close();
  });
  return setup;
}

describe('kept answers: mentors pages and mentors', () => {
  const t = serversOnOneDatabase();

  it('answers a repeated page from memory: the same bytes, nothing read but the data version', async () => {
    t.clock = NOW;
    const first = await t.server.app.inject({ url: listUrl });
    const dataReads = await dataReadsOfRepeat(t.server, async () => {
      const again = await t.server.app.inject({ url: listUrl });
      expect(again.statusCode).toBe(200);
      expect(again.body).toBe(first.body);
    });
    expect(dataReads).toEqual([]);

    // A different page (another duration) is an answer of its own.
    const otherPage = await statementsDuring(t.server, async () => {
      const page = await t.server.app.inject({ url: listUrl.replace('duration=30', 'duration=45') });
      expect(page.statusCode).toBe(200);
    });
    expect(otherPage.length).toBeGreaterThan(1);
  });

  it('shows a booking made through this server at once', async () => {
    t.clock = NOW;
    const before = await t.server.api.get<Mentor[]>(listUrl);
    expect(startsOf(before.body, demo.rohan)).toContain('2026-12-01T13:30:00.000Z');
    const mentor = await t.server.api.get<Mentor>(`/api/mentors/${demo.rohan}`);
    expect(mentor.body.availability).toContain('2026-12-01T13:30:00.000Z');

    const booked = await t.server.api.post('/api/bookings', booking({ student_id: demo.students.aarav }));
    expect(booked.status).toBe(201);

    const after = await t.server.api.get<Mentor[]>(listUrl);
    expect(startsOf(after.body, demo.rohan)).not.toContain('2026-12-01T13:30:00.000Z');
    const mentorAfter = await t.server.api.get<Mentor>(`/api/mentors/${demo.rohan}`);
    expect(mentorAfter.body.availability).not.toContain('2026-12-01T13:30:00.000Z');
  });

  it('shows writes made by another server process on the same database at once', async () => {
    t.clock = NOW;
    const slot = '2026-12-02T14:00:00.000Z';
    expect(startsOf((await t.server.api.get<Mentor[]>(listUrl)).body, demo.rohan)).toContain(slot);

    const booked = await t.otherProcess.api.post(
      '/api/bookings',
      booking({ student_id: demo.students.diya, start_time: slot }),
    );
    expect(booked.status).toBe(201);
    expect(startsOf((await t.server.api.get<Mentor[]>(listUrl)).body, demo.rohan)).not.toContain(slot);

    // A day off set elsewhere empties that day here.
    const dayOff = await t.otherProcess.api.put(`/api/mentors/${demo.rohan}/availability`, {
      weekly: [{ day: 'mon', start: '19:00', end: '23:00' }],
      overrides: [],
    });
    expect(dayOff.status).toBe(200);
    const starts = startsOf((await t.server.api.get<Mentor[]>(listUrl)).body, demo.rohan);
    expect(starts.length).toBeGreaterThan(0);
    for (const start of starts) expect(new Date(start).getUTCDay()).toBe(1);
  });

  it('gives, at every instant of a clock minute, the answer computed afresh at that instant', async () => {
    // Minutes around the edges of Priya's 20:00 IST (14:30Z) slot of Thursday 3 December: two hours'
    // notice closes it after 12:30Z, and the default 7-day window opens a slot 7 days ahead each quarter.
    const edges = ['2026-12-03T12:29:00Z', '2026-12-03T12:30:00Z', '2026-12-03T12:31:00Z'].map(Date.parse);
    const forceFreshAnswers = () => t.server.app.db.knex.raw('update areas set name = name where id = -1');

    const freshAt = async (instant: number) => {
      await forceFreshAnswers();
      t.clock = instant;
      return (await t.server.app.inject({ url: listUrl })).body;
    };
    const keptAt = async (instant: number) => {
      t.clock = instant;
      return (await t.server.app.inject({ url: listUrl })).body;
    };

    // The edge really is one: the slot is offered at 11:30:00.000 and not a millisecond later.
    const edge = Date.parse('2026-12-03T12:30:00Z');
    expect(await freshAt(edge)).toContain('2026-12-03T14:30:00.000Z');
    expect(await freshAt(edge + 1)).not.toContain('2026-12-03T14:30:00.000Z');

    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...edges),
        // The minute mark and its neighbours are where a wrong reuse would show: drawn often.
        fc.array(fc.oneof(fc.constantFrom(0, 1, MINUTE - 1), fc.integer({ min: 0, max: MINUTE - 1 })), {
          minLength: 2,
          maxLength: 4,
        }),
        async (minute, offsets) => {
          const [first = 0, ...rest] = offsets;
          await freshAt(minute + first);
          for (const offset of rest) {
            const kept = await keptAt(minute + offset);
            expect(kept).toBe(await freshAt(minute + offset));
          }
        },
      ),
      { seed: 20261201, numRuns: 40 },
    );
  });
});

describe("kept open starts: slot search and a mentor's slots", () => {
  const t = serversOnOneDatabase();
  const searchUrl = '/api/slots?area_of_expertise=Equity%20Research&duration=30';
  const mentorSlotsUrl = `/api/mentors/${demo.rohan}/slots?duration=30`;
  type Search = { from: string; slots: { start_time: string; mentors_available: number }[] };
  type MentorSlots = { from: string; slots: { start_time: string }[] };

  it('echo the window of each request while the open starts are kept', async () => {
    t.clock = NOW + 1_234;
    const first = await t.server.api.get<Search>(searchUrl);
    const firstSlots = await t.server.api.get<MentorSlots>(mentorSlotsUrl);
    t.clock = NOW + 56_789;
    const again = await t.server.api.get<Search>(searchUrl);
    expect(again.body.from).toBe(new Date(NOW + 56_789).toISOString());
    expect(again.body.slots).toEqual(first.body.slots);
    const slotsAgain = await t.server.api.get<MentorSlots>(mentorSlotsUrl);
    expect(slotsAgain.body.from).toBe(new Date(NOW + 56_789).toISOString());
    expect(slotsAgain.body.slots).toEqual(firstSlots.body.slots);
    expect(first.body.from).toBe(new Date(NOW + 1_234).toISOString());
    expect(first.body.slots.length).toBeGreaterThan(0);

    // Kept: a repeat within the minute reads nothing but the data version.
    const dataReads = await dataReadsOfRepeat(t.server, async () => {
      await t.server.api.get<Search>(searchUrl);
      await t.server.api.get<MentorSlots>(mentorSlotsUrl);
    });
    expect(dataReads).toEqual([]);
  });

  it('show a booking made by another server process at once', async () => {
    t.clock = NOW + 1_000;
    const slot = '2026-12-02T13:30:00.000Z';
    const searchSlot = slot; // the search answers in a zone (UTC here), in the same form as any instant
    const before = await t.server.api.get<Search>(searchUrl);
    const offered = before.body.slots.find((s) => s.start_time === searchSlot)?.mentors_available ?? 0;
    expect(offered).toBeGreaterThan(0);
    expect(
      (await t.server.api.get<MentorSlots>(mentorSlotsUrl)).body.slots.map((s) => s.start_time),
    ).toContain(slot);

    const booked = await t.otherProcess.api.post(
      '/api/bookings',
      booking({ student_id: demo.students.kabir, start_time: slot }),
    );
    expect(booked.status).toBe(201);

    const after = await t.server.api.get<Search>(searchUrl);
    expect(after.body.slots.find((s) => s.start_time === searchSlot)?.mentors_available ?? 0).toBe(
      offered - 1,
    );
    expect(
      (await t.server.api.get<MentorSlots>(mentorSlotsUrl)).body.slots.map((s) => s.start_time),
    ).not.toContain(slot);
  });

  it("still refuse a search with another student's sessions when that search is kept", async () => {
    t.clock = NOW + 2_000;
    const ownSearch = `${searchUrl}&student_id=${demo.students.aarav}`;
    expect((await t.server.api.get(ownSearch)).status).toBe(200);
    const asDiya = await loginAs(t.server.api, 'diya.patel@example.com');
    const refused = await t.server.api.get(ownSearch, asDiya);
    expect(refused.status).toBe(403);
  });
});
