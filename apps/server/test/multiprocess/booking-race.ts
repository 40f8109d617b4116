import { randomUUID } from 'node:crypto';
import { CLUSTER_ADMIN_TOKEN } from './cluster.js';

/**
 * The workload of the multi-process tests, over real HTTP against several server processes that
 * share one database. The servers run on the real clock, so the slots are read from the servers
 * when the test runs, never assumed.
 *
 * - Contested slots: the standard mentors of FMCG Sales (three in the demo catalogue) at ten starts
 *   where all three are free, so 30 mentor-slots. Each mentor-slot is asked for by several students
 *   naming the mentor, and each start by several students asking the service to assign a mentor of
 *   the area. Every request has a student of its own and goes to another process than its neighbour.
 * - Idempotent retries: a request with an Idempotency-Key sent to every process at once.
 */
export const AREA = 'FMCG Sales';
export const STARTS = 10;
export const NAMED_PER_MENTOR_SLOT = 8;
export const ASSIGNED_PER_START = 6;
const IDEMPOTENT_GROUPS = 10;
const DURATION = 30;
const MINUTE_MS = 60_000;
/** Starts closer than this to now are skipped: the minimum notice (2 h) must still hold when booking. */
const SAFETY_MS = 150 * MINUTE_MS;

export interface Answer {
  status: number;
  body: any;
}

export interface RaceRequest {
  kind: 'named' | 'assigned';
  server: number;
  start: string;
  mentorId?: number;
  body: Record<string, unknown>;
}

export interface RaceOutcome {
  requests: RaceRequest[];
  answers: Answer[];
  mentorIds: number[];
  starts: string[];
  idempotent: { key: string; body: Record<string, unknown>; answers: Answer[] }[];
  elapsedMs: number;
}

export class Cluster {
  constructor(readonly urls: readonly string[]) {}

  async call(server: number, method: string, path: string, body?: unknown, headers = {}): Promise<Answer> {
    const response = await fetch(`${this.urls[server % this.urls.length]}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${CLUSTER_ADMIN_TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // keep the text: a non-JSON answer is itself a finding
    }
    return { status: response.status, body: parsed };
  }

  async ok(server: number, method: string, path: string, body?: unknown): Promise<any> {
    const answer = await this.call(server, method, path, body);
    if (answer.status >= 300) {
      throw new Error(`${method} ${path} → ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    return answer.body;
  }
}

async function openStarts(cluster: Cluster, mentorId: number): Promise<Set<string>> {
  const answer = await cluster.ok(0, 'GET', `/api/mentors/${mentorId}/slots?duration=${DURATION}`);
  const earliest = Date.now() + SAFETY_MS;
  return new Set(
    (answer.slots as { start_time: string }[])
      .map((slot) => slot.start_time)
      .filter((start) => Date.parse(start) >= earliest),
  );
}

/** Ascending starts from the list, each one session after the previous: no two of them overlap. */
function disjointStarts(starts: Iterable<string>, count: number): string[] {
  const chosen: string[] = [];
  for (const start of [...starts].sort()) {
    const last = chosen.at(-1);
    if (last === undefined || Date.parse(start) >= Date.parse(last) + DURATION * MINUTE_MS)
      chosen.push(start);
    if (chosen.length === count) break;
  }
  if (chosen.length < count) throw new Error(`only ${chosen.length} free starts, need ${count}`);
  return chosen;
}

async function createStudents(cluster: Cluster, count: number, tag: string): Promise<number[]> {
  const ids: number[] = [];
  for (let batch = 0; batch < count; batch += 20) {
    const created = await Promise.all(
      Array.from({ length: Math.min(20, count - batch) }, (_, offset) => {
        const index = batch + offset;
        return cluster.ok(index, 'POST', '/api/students', {
          name: `Racer ${index}`,
          email: `racer-${tag}-${index}@example.com`,
        });
      }),
    );
    ids.push(...created.map((student: { id: number }) => student.id));
  }
  return ids;
}

/** A fixed shuffle, so that neighbouring requests (same slot) leave in a mixed order. */
function interleave<T>(items: T[]): T[] {
  let seed = 20_261_201;
  const keyed = items.map((item) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return { item, key: seed };
  });
  return keyed.sort((a, b) => a.key - b.key).map(({ item }) => item);
}

export async function runBookingRace(cluster: Cluster): Promise<RaceOutcome> {
  const servers = cluster.urls.length;
  const mentors = (await cluster.ok(
    0,
    'GET',
    `/api/mentors?area_of_expertise=${encodeURIComponent(AREA)}&is_premium=false`,
  )) as { id: number }[];
  const mentorIds = mentors.map((mentor) => mentor.id);
  const openByMentor = await Promise.all(mentorIds.map((id) => openStarts(cluster, id)));
  const common = [...(openByMentor[0] ?? [])].filter((start) =>
    openByMentor.every((open) => open.has(start)),
  );
  const starts = disjointStarts(common, STARTS);

  const [equityMentor] = (await cluster.ok(
    0,
    'GET',
    `/api/mentors?area_of_expertise=${encodeURIComponent('Equity Research')}&is_premium=false`,
  )) as { id: number }[];
  if (!equityMentor) throw new Error('no standard Equity Research mentor in the demo catalogue');
  const retryStarts = disjointStarts(await openStarts(cluster, equityMentor.id), IDEMPOTENT_GROUPS);

  const contenders = starts.length * (mentorIds.length * NAMED_PER_MENTOR_SLOT + ASSIGNED_PER_START);
  const run = randomUUID().slice(0, 8);
  const students = await createStudents(cluster, contenders + IDEMPOTENT_GROUPS, run);
  const nextStudent = (() => {
    let index = 0;
    return () => students[index++] as number;
  })();

  const unordered: Omit<RaceRequest, 'server'>[] = [];
  for (const start of starts) {
    for (const mentorId of mentorIds) {
      for (let n = 0; n < NAMED_PER_MENTOR_SLOT; n += 1) {
        const body = {
          student_id: nextStudent(),
          mentor_id: mentorId,
          start_time: start,
          duration: DURATION,
        };
        unordered.push({ kind: 'named', start, mentorId, body });
      }
    }
    for (let n = 0; n < ASSIGNED_PER_START; n += 1) {
      const body = {
        student_id: nextStudent(),
        area_of_expertise: AREA,
        start_time: start,
        duration: DURATION,
      };
      unordered.push({ kind: 'assigned', start, body });
    }
  }
  const requests = interleave(unordered).map((request, index) => ({ ...request, server: index % servers }));
  const retries = retryStarts.map((start) => ({
    key: `race-${run}-${start}`,
    body: { student_id: nextStudent(), mentor_id: equityMentor.id, start_time: start, duration: DURATION },
  }));

  const began = Date.now();
  const [answers, retryAnswers] = await Promise.all([
    Promise.all(
      requests.map((request) => cluster.call(request.server, 'POST', '/api/bookings', request.body)),
    ),
    Promise.all(
      retries.map(({ key, body }) =>
        Promise.all(
          Array.from({ length: servers }, (_, server) =>
            cluster.call(server, 'POST', '/api/bookings', body, { 'idempotency-key': key }),
          ),
        ),
      ),
    ),
  ]);
  return {
    requests,
    answers,
    mentorIds,
    starts,
    idempotent: retries.map((retry, index) => ({ ...retry, answers: retryAnswers[index] ?? [] })),
    elapsedMs: Date.now() - began,
  };
}

export interface Figures {
  requests: number;
  successes: number;
  conflicts: number;
  errors: number;
  conflictCodes: Record<string, number>;
  /** Per contested mentor-slot (`mentorId@start`): how many requests got it */
  winsPerMentorSlot: Map<string, number>;
}

export function figuresOf(outcome: RaceOutcome): Figures {
  const wins = new Map<string, number>();
  for (const start of outcome.starts) {
    for (const mentorId of outcome.mentorIds) wins.set(`${mentorId}@${start}`, 0);
  }
  const conflictCodes: Record<string, number> = {};
  let successes = 0;
  let conflicts = 0;
  let errors = 0;
  outcome.answers.forEach((answer) => {
    if (answer.status === 201) {
      successes += 1;
      const booking = answer.body.booking as { mentor_id: number; start_time: string };
      const slot = `${booking.mentor_id}@${booking.start_time}`;
      wins.set(slot, (wins.get(slot) ?? 0) + 1);
    } else if (answer.status === 409) {
      conflicts += 1;
      conflictCodes[answer.body.code] = (conflictCodes[answer.body.code] ?? 0) + 1;
    } else {
      errors += 1;
    }
  });
  return {
    requests: outcome.answers.length,
    successes,
    conflicts,
    errors,
    conflictCodes,
    winsPerMentorSlot: wins,
  };
}

export function summaryLine(
  label: string,
  processes: number,
  figures: Figures,
  outcome: RaceOutcome,
): string {
  const codes = Object.entries(figures.conflictCodes)
    .map(([code, count]) => `${count} ${code}`)
    .join(', ');
  const retried = outcome.idempotent.reduce((sum, group) => sum + group.answers.length, 0);
  return (
    `[multiprocess ${label}] ${processes} processes, ${figures.requests} booking requests for ` +
    `${figures.winsPerMentorSlot.size} contested mentor-slots in ${outcome.elapsedMs} ms: ` +
    `${figures.successes} successes, ${figures.conflicts} conflicts (${codes}), ${figures.errors} errors; ` +
    `idempotency: ${outcome.idempotent.length} keys × ${processes} processes = ${retried} requests`
  );
}

/** Pairs of confirmed bookings of one mentor, or of one student, whose times overlap. */
export const OVERLAPPING_PAIRS_SQL = `
  SELECT count(*) AS pairs FROM bookings a JOIN bookings b
    ON a.id < b.id AND (a.mentor_id = b.mentor_id OR a.student_id = b.student_id)
   AND a.start_at < b.end_at AND b.start_at < a.end_at
  WHERE a.status = 'confirmed' AND b.status = 'confirmed'`;
