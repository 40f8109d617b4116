import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseMentor, type MentorCandidate, rankMentors } from '../../src/domain/assignment.js';
import type { Interval } from '../../src/domain/interval.js';

const at = (iso: string): number => Date.parse(iso);
const span = (start: string, end: string): Interval => ({ start: at(start), end: at(end) });
const kolkata = (mentorId: number, sessions: Interval[] = []): MentorCandidate => ({
  mentorId,
  timezone: 'Asia/Kolkata',
  sessions,
});

// 19:00–20:00 in Kolkata on Tuesday 2026-12-01.
const slot = span('2026-12-01T13:30:00Z', '2026-12-01T14:30:00Z');
const morning = span('2026-12-01T04:30:00Z', '2026-12-01T05:30:00Z');
const afternoon = span('2026-12-01T09:30:00Z', '2026-12-01T10:30:00Z');
const endingAtSlotStart = span('2026-12-01T13:00:00Z', '2026-12-01T13:30:00Z');
const startingAtSlotEnd = span('2026-12-01T14:30:00Z', '2026-12-01T15:30:00Z');

describe('chooseMentor', () => {
  it('has nobody to choose from an empty list', () => {
    expect(chooseMentor([], slot)).toBeNull();
  });

  it('prefers a mentor whose session ends as the slot starts, even on a busier day', () => {
    const candidates = [kolkata(1), kolkata(2, [morning, afternoon, endingAtSlotStart])];
    expect(chooseMentor(candidates, slot)).toBe(2);
  });

  it('prefers a mentor whose session starts as the slot ends', () => {
    expect(chooseMentor([kolkata(1), kolkata(2, [startingAtSlotEnd])], slot)).toBe(2);
  });

  it('does not count a gap, however short, as back to back', () => {
    const nearly = span('2026-12-01T13:00:00Z', '2026-12-01T13:29:00Z');
    expect(chooseMentor([kolkata(1), kolkata(2, [nearly])], slot)).toBe(1);
  });

  it('prefers the mentor with fewer sessions that day over a lower id', () => {
    expect(chooseMentor([kolkata(1, [morning, afternoon]), kolkata(2, [morning])], slot)).toBe(2);
  });

  it('ignores sessions on other days when counting', () => {
    const yesterday = span('2026-11-30T04:30:00Z', '2026-11-30T05:30:00Z');
    const tomorrow = span('2026-12-02T04:30:00Z', '2026-12-02T05:30:00Z');
    expect(chooseMentor([kolkata(1, [yesterday, tomorrow]), kolkata(2, [morning])], slot)).toBe(1);
  });

  it("counts sessions on the slot's calendar day in each mentor's own zone", () => {
    // 2026-12-01T20:00Z is already 2 December in Kolkata but still 1 December in New York.
    const lateSlot = span('2026-12-01T20:00:00Z', '2026-12-01T21:00:00Z');
    const firstOfDecemberUtcNoon = span('2026-12-01T12:00:00Z', '2026-12-01T13:00:00Z');
    const candidates: MentorCandidate[] = [
      { mentorId: 1, timezone: 'America/New_York', sessions: [firstOfDecemberUtcNoon] },
      { mentorId: 2, timezone: 'Asia/Kolkata', sessions: [firstOfDecemberUtcNoon] },
    ];
    expect(chooseMentor(candidates, lateSlot)).toBe(2);
  });

  it('falls back to the lowest id when everything else is equal', () => {
    expect(chooseMentor([kolkata(7, [morning]), kolkata(3, [afternoon]), kolkata(5, [morning])], slot)).toBe(
      3,
    );
  });
});

describe('rankMentors', () => {
  it('lists every mentor once, best first', () => {
    const candidates = [
      kolkata(4, [morning]),
      kolkata(9),
      kolkata(2, [morning, afternoon]),
      kolkata(6, [morning, afternoon, startingAtSlotEnd]),
      kolkata(1, [afternoon]),
    ];
    expect(rankMentors(candidates, slot)).toEqual([6, 9, 1, 4, 2]);
  });

  it('does not depend on the order of the candidates or of their sessions', () => {
    const sessionPool = [morning, afternoon, endingAtSlotStart, startingAtSlotEnd];
    const candidate = fc.record({
      mentorId: fc.integer({ min: 1, max: 1000 }),
      timezone: fc.constantFrom('Asia/Kolkata', 'Europe/London', 'America/New_York', 'Asia/Kathmandu'),
      sessions: fc.subarray(sessionPool),
    });
    const candidates = fc.uniqueArray(candidate, { selector: (c) => c.mentorId, maxLength: 12 });
    const shuffled = candidates.chain((list) =>
      fc.tuple(
        fc.constant(list),
        fc
          .shuffledSubarray(list, { minLength: list.length, maxLength: list.length })
          .map((order) => order.map((c) => ({ ...c, sessions: [...c.sessions].reverse() }))),
      ),
    );
    fc.assert(
      fc.property(shuffled, ([original, reordered]) => {
        const ranking = rankMentors(original, slot);
        expect(rankMentors(reordered, slot)).toEqual(ranking);
        expect([...ranking].sort((a, b) => a - b)).toEqual(
          original.map((c) => c.mentorId).sort((a, b) => a - b),
        );
        expect(chooseMentor(reordered, slot)).toBe(ranking[0] ?? null);
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});
