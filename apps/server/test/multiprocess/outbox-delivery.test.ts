/**
 * The outbox across crashes and across processes, with real server processes on one database
 * (a PostgreSQL schema, and a SQLite file), a real SMTP server and a real webhook receiver:
 *
 * - A process that committed bookings is killed (SIGKILL) before it sent anything: a new process on
 *   the same database sends every email and webhook of those bookings, each exactly once.
 * - A process is killed while it holds the leases of messages it is sending (its SMTP server took
 *   them and never answered): once the leases end, a new process sends them, each exactly once and
 *   with the Message-ID the dead process had used, so a mail system could tell the two tries apart.
 * - Two processes poll one outbox at once while bookings and cancellations arrive at both: every
 *   message goes out exactly once, none is missing.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webhookEventTypes } from '@mentor-scheduling/contracts';
import knexFactory, { type Knex } from 'knex';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { instantFromDb } from '../../src/db/connection.js';
import {
  type ReceivedEmail,
  type ReceivedWebhook,
  type SmtpSink,
  startSmtpSink,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../support/notification-peers.js';
import { createTestSchema, dropTestSchema, pgKnexFor, pgSkipReason, pgTestUrl } from '../support/postgres.js';
import { Cluster } from './booking-race.js';
import { type ServerProcess, startCluster, startServer, stopCluster } from './cluster.js';

const DURATION = 30;
/** Starts closer than this to now are skipped: the minimum notice (2 h) must still hold when booking. */
const SAFETY_MS = 150 * 60_000;
/** Long enough for a cold process to start and drain; waits end as soon as their condition holds. */
const DRAIN_TIMEOUT_MS = 90_000;
const MENTOR_PASSWORD = 'outbox tests: a mentor passphrase';

/**
 * What every process of these tests needs to notify anyone: a sender, webhooks to 127.0.0.1
 * (production refuses private destinations otherwise), and no reminders, which would fall due only
 * hours after the test.
 */
const NOTIFICATIONS_ENV = {
  MAIL_FROM: 'Mentor sessions <sessions@outbox-tests.example>',
  WEBHOOK_ALLOW_PRIVATE: 'true',
  REMINDER_OFFSETS: 'none',
};

/** Resources of one test, released after it whatever its outcome, the last acquired first. */
const releases: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  const failures: unknown[] = [];
  for (let release = releases.pop(); release; release = releases.pop()) {
    await release().catch((error: unknown) => failures.push(error));
  }
  if (failures.length > 0) throw failures[0];
});

type Backend = 'pg' | 'sqlite';

interface SharedDatabase {
  /** What tells a server process to use it */
  env: Record<string, string>;
  /** This test's own connection, to read what the processes left */
  knex: Knex;
}

/** A new, empty database for one scenario, so that its counts are its own. */
async function freshDatabase(backend: Backend): Promise<SharedDatabase> {
  if (backend === 'pg') {
    const schema = await createTestSchema();
    releases.push(() => dropTestSchema(schema));
    const knex = pgKnexFor(schema);
    releases.push(() => knex.destroy());
    return { env: { DB_CLIENT: 'pg', DATABASE_URL: pgTestUrl as string, DB_SCHEMA: schema }, knex };
  }
  const dir = mkdtempSync(join(tmpdir(), 'mentor-scheduling-outbox-'));
  releases.push(async () => rmSync(dir, { recursive: true, force: true }));
  const filename = join(dir, 'shared.sqlite');
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename }, useNullAsDefault: true });
  releases.push(() => knex.destroy());
  return { env: { DB_CLIENT: 'better-sqlite3', DB_FILENAME: filename }, knex };
}

async function server(name: string, env: Record<string, string>): Promise<ServerProcess> {
  const started = await startServer(name, env);
  releases.push(() => started.stop());
  return started;
}

/** The processes this test process has spawned and not yet reaped. */
function childPids(): Set<number> {
  const pids = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // `pid (command) state ppid …`: the command may hold spaces and parentheses, the rest may not.
    const [, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(ppid) === process.pid) pids.add(Number(entry));
  }
  return pids;
}

interface KillableServer extends ServerProcess {
  /** SIGKILL, as a crash or the OOM killer would end it; resolves once it has exited */
  crash(): Promise<void>;
}

/**
 * A server process that can be killed without warning. cluster.ts offers only SIGTERM, which lets
 * the dispatcher finish its round; the process's id is found as the one child that appeared.
 */
async function crashableServer(name: string, env: Record<string, string>): Promise<KillableServer> {
  const before = childPids();
  const started = await server(name, env);
  const spawned = [...childPids()].filter((pid) => !before.has(pid));
  if (spawned.length !== 1) throw new Error(`expected one new child process, found ${spawned.length}`);
  const pid = spawned[0] as number;
  return {
    ...started,
    async crash() {
      process.kill(pid, 'SIGKILL');
      // The process is dead already; stop() only waits for its exit to be seen.
      await started.stop();
    },
  };
}

/** A port on 127.0.0.1 where nothing listens: connections to it are refused. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

interface StallingSmtp {
  url: string;
  /** The Message-IDs of the messages it has taken, in order; none was ever answered */
  stalled: string[];
  waitForStalled(count: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * An SMTP server that takes each message's DATA and never replies, so the sender waits with the
 * message unconfirmed: a send in progress that a crash can interrupt.
 */
async function startStallingSmtp(): Promise<StallingSmtp> {
  const stalled: string[] = [];
  const waiters = new Set<() => void>();
  const smtp = new SMTPServer({
    logger: false,
    closeTimeout: 500,
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    onData(stream) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        stalled.push(/^Message-ID:\s*(<[^>\r\n]+>)/im.exec(raw)?.[1] ?? '(no Message-ID)');
        for (const waiter of [...waiters]) waiter();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const { port } = smtp.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    stalled,
    waitForStalled(count) {
      if (stalled.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`the stalling SMTP server took ${stalled.length} messages, expected ${count}`));
        }, DRAIN_TIMEOUT_MS);
        const check = () => {
          if (stalled.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
    close: () => new Promise<void>((resolve) => smtp.close(() => resolve())),
  };
}

async function sink(): Promise<SmtpSink> {
  const started = await startSmtpSink();
  releases.push(() => started.close());
  return started;
}

async function receiver(): Promise<WebhookReceiver> {
  const started = await startWebhookReceiver();
  releases.push(() => started.close());
  return started;
}

/**
 * Polls until `holds` does: for what nothing announces (a row of the shared database, a count of a
 * server's log lines).
 */
async function until(what: string, holds: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (!(await holds())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function countOf(query: Knex.QueryBuilder): Promise<number> {
  const [row] = await query.count({ count: '*' });
  return Number(row?.count ?? 0);
}

/** Subscribes the receiver to every event type, through a server process, and gives it the secret. */
async function subscribe(cluster: Cluster, hooks: WebhookReceiver): Promise<void> {
  const endpoint = await cluster.ok(0, 'POST', '/api/webhooks', {
    url: hooks.url,
    events: [...webhookEventTypes],
  });
  hooks.secret = endpoint.secret;
}

interface BookedSession {
  bookingId: number;
  studentEmail: string;
  mentorEmail: string;
}

/**
 * `count` confirmed sessions, each with a student of its own, spread over the standard mentors at
 * starts that never overlap, sent round-robin to the cluster's processes all at once. Each mentor
 * gets an account first, so that the mentor has an email address to be told at.
 */
async function bookSessions(cluster: Cluster, count: number, tag: string): Promise<BookedSession[]> {
  const mentors = (await cluster.ok(0, 'GET', '/api/mentors?is_premium=false')) as { id: number }[];
  const earliest = Date.now() + SAFETY_MS;
  const wanted: { mentorId: number; start: string }[] = [];
  const perMentor = Math.ceil(count / mentors.length) + 1;
  for (const mentor of mentors) {
    const open = await cluster.ok(0, 'GET', `/api/mentors/${mentor.id}/slots?duration=${DURATION}`);
    const starts = (open.slots as { start_time: string }[])
      .map((slot) => slot.start_time)
      .filter((start) => Date.parse(start) >= earliest)
      .sort();
    let last = Number.NEGATIVE_INFINITY;
    let taken = 0;
    for (const start of starts) {
      if (wanted.length === count || taken === perMentor) break;
      if (Date.parse(start) < last + DURATION * 60_000) continue;
      wanted.push({ mentorId: mentor.id, start });
      last = Date.parse(start);
      taken += 1;
    }
  }
  if (wanted.length < count) throw new Error(`only ${wanted.length} free starts, need ${count}`);

  const mentorEmails = new Map<number, string>();
  for (const mentorId of new Set(wanted.map((slot) => slot.mentorId))) {
    const email = `mentor-${mentorId}-${tag}@mentors.outbox-tests.example`;
    await cluster.ok(0, 'POST', '/api/auth/accounts', {
      email,
      password: MENTOR_PASSWORD,
      role: 'mentor',
      mentor_id: mentorId,
    });
    mentorEmails.set(mentorId, email);
  }
  const students = await Promise.all(
    wanted.map(async (_, index) => {
      const email = `student-${index}-${tag}@students.outbox-tests.example`;
      const student = await cluster.ok(index, 'POST', '/api/students', { name: `Student ${index}`, email });
      return { id: student.id as number, email };
    }),
  );
  const answers = await Promise.all(
    wanted.map((slot, index) =>
      cluster.call(index, 'POST', '/api/bookings', {
        student_id: students[index]?.id,
        mentor_id: slot.mentorId,
        start_time: slot.start,
        duration: DURATION,
      }),
    ),
  );
  // 201: the booking and its events were committed.
  expect(answers.filter((answer) => answer.status !== 201)).toEqual([]);
  return answers.map((answer, index) => ({
    bookingId: answer.body.booking_id as number,
    studentEmail: students[index]?.email as string,
    mentorEmail: mentorEmails.get(wanted[index]?.mentorId as number) as string,
  }));
}

/** Cancels the first `count` sessions, alternating between the processes. */
async function cancelSessions(cluster: Cluster, sessions: BookedSession[], count: number) {
  const cancelled = sessions.slice(0, count);
  await Promise.all(
    cancelled.map((session, index) =>
      cluster.ok(index, 'POST', `/api/bookings/${session.bookingId}/cancel`, { reason: 'plans changed' }),
    ),
  );
  return cancelled;
}

/** What the sessions must have sent: an email per party per change, a webhook per event. */
function expectedMessages(sessions: BookedSession[], cancelled: BookedSession[]) {
  const emails: string[] = [];
  const webhooks: string[] = [];
  for (const session of sessions) {
    for (const to of [session.studentEmail, session.mentorEmail])
      emails.push(`confirmed #${session.bookingId} → ${to}`);
    webhooks.push(`booking.created #${session.bookingId}`, `booking.confirmed #${session.bookingId}`);
  }
  for (const session of cancelled) {
    for (const to of [session.studentEmail, session.mentorEmail])
      emails.push(`cancelled #${session.bookingId} → ${to}`);
    webhooks.push(`booking.cancelled #${session.bookingId}`);
  }
  return { emails, webhooks };
}

/** `confirmed #42 → ira@example.com`: the change (from the subject), the booking and the recipient. */
function emailKeyOf(email: ReceivedEmail): string {
  const kind = /^(\w+):/.exec(email.subject)?.[1]?.toLowerCase() ?? `(subject ${email.subject})`;
  const booking = /Booking:\s+#(\d+)/.exec(email.text)?.[1] ?? '?';
  return `${kind} #${booking} → ${email.to}`;
}

function webhookKeyOf(hook: ReceivedWebhook): string {
  return `${hook.type} #${hook.body?.data?.booking_id ?? '?'}`;
}

/** Each key with how often it occurs, sorted, so that a failure shows duplicates and gaps by name. */
function tally(keys: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of [...keys].sort()) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}

/**
 * Waits until every expected message arrived and the outbox holds nothing more to send, then checks
 * that each arrived exactly once: nothing later can add a duplicate, since nothing is pending.
 */
async function expectEachDeliveredOnce(
  knex: Knex,
  mail: SmtpSink,
  hooks: WebhookReceiver,
  expected: { emails: string[]; webhooks: string[] },
): Promise<void> {
  await mail.waitFor(expected.emails.length, DRAIN_TIMEOUT_MS);
  await hooks.waitFor(expected.webhooks.length, DRAIN_TIMEOUT_MS);
  await until('the outbox is drained', async () => {
    const unfanned = await countOf(knex('outbox_events').whereNull('fanned_out_at'));
    const pending = await countOf(knex('outbox_deliveries').where('status', 'pending'));
    return unfanned === 0 && pending === 0;
  });

  expect(tally(mail.messages.map(emailKeyOf))).toEqual(tally(expected.emails));
  const messageIds = mail.messages.map((email) => email.messageId);
  expect(new Set(messageIds).size).toBe(messageIds.length);

  // Every request the receiver answered, retries included: a second try would show as a repeated id.
  expect(hooks.received.filter((hook) => hook.status !== 204)).toEqual([]);
  expect(tally(hooks.received.map(webhookKeyOf))).toEqual(tally(expected.webhooks));
  const hookIds = hooks.received.map((hook) => hook.id);
  expect(new Set(hookIds).size).toBe(hookIds.length);

  // The outbox agrees: each message sent once, and nothing else became of any.
  const statuses: { status: string; count: number | string }[] = await knex('outbox_deliveries')
    .select('status')
    .count({ count: '*' })
    .groupBy('status');
  expect(Object.fromEntries(statuses.map((row) => [row.status, Number(row.count)]))).toEqual({
    sent: expected.emails.length + expected.webhooks.length,
  });
}

/** What each process sent (by its lease owner), as `emails+webhooks`, the busiest first. */
async function sendsByOwner(knex: Knex): Promise<string[]> {
  const rows: { leased_by: string; channel: string; count: number | string }[] = await knex(
    'outbox_deliveries',
  )
    .where('status', 'sent')
    .select('leased_by', 'channel')
    .count({ count: '*' })
    .groupBy('leased_by', 'channel');
  const owners = new Map<string, { email: number; webhook: number }>();
  for (const row of rows) {
    const sends = owners.get(row.leased_by) ?? { email: 0, webhook: 0 };
    sends[row.channel as 'email' | 'webhook'] = Number(row.count);
    owners.set(row.leased_by, sends);
  }
  return [...owners.values()]
    .sort((a, b) => b.email + b.webhook - (a.email + a.webhook))
    .map((sends) => `${sends.email}+${sends.webhook}`);
}

const processEnv = (database: SharedDatabase, extra: Record<string, string>) => ({
  ...database.env,
  ...NOTIFICATIONS_ENV,
  ...extra,
});

async function crashBeforeSend(backend: Backend): Promise<void> {
  const BOOKINGS = 6;
  const CANCELLED = 2;
  const database = await freshDatabase(backend);
  const hooks = await receiver();
  // It could not reach an SMTP server, and polls once at start, before any booking exists.
  const doomed = await crashableServer(`${backend}-doomed`, {
    ...processEnv(database, {
      SMTP_URL: `smtp://127.0.0.1:${await closedPort()}`,
      OUTBOX_POLL_MS: '60000',
    }),
  });
  const before = new Cluster([doomed.url]);
  await subscribe(before, hooks);
  const sessions = await bookSessions(before, BOOKINGS, `${backend}-crash`);
  const cancelled = await cancelSessions(before, sessions, CANCELLED);
  await doomed.crash();

  // The state a crash after commit and before send leaves: every event stored, none acted on.
  const events = BOOKINGS * 2 + CANCELLED;
  expect(await countOf(database.knex('outbox_events').whereNull('fanned_out_at'))).toBe(events);
  expect(await countOf(database.knex('outbox_deliveries'))).toBe(0);
  expect(hooks.received).toEqual([]);
  expect(doomed.errorLines).toEqual([]);

  const mail = await sink();
  const began = Date.now();
  const restarted = await server(`${backend}-restarted`, {
    ...processEnv(database, { SMTP_URL: mail.url, OUTBOX_POLL_MS: '50' }),
  });
  const expected = expectedMessages(sessions, cancelled);
  await expectEachDeliveredOnce(database.knex, mail, hooks, expected);
  expect(restarted.errorLines).toEqual([]);
  console.log(
    `[multiprocess ${backend}] outbox crash after commit, before send: ${BOOKINGS} bookings and ` +
      `${CANCELLED} cancellations (${events} events) committed by a process then killed (SIGKILL) ` +
      `unsent; a new process delivered ${mail.messages.length} emails and ${hooks.received.length} ` +
      `webhooks, each exactly once, ${Date.now() - began} ms after it was started`,
  );
}

async function crashHoldingLeases(backend: Backend): Promise<void> {
  const BOOKINGS = 4;
  const LEASE_MS = 1000;
  const database = await freshDatabase(backend);
  const hooks = await receiver();
  const stalling = await startStallingSmtp();
  releases.push(() => stalling.close());
  const doomed = await crashableServer(`${backend}-stuck`, {
    ...processEnv(database, {
      SMTP_URL: stalling.url,
      OUTBOX_POLL_MS: '50',
      OUTBOX_LEASE_MS: String(LEASE_MS),
    }),
  });
  const before = new Cluster([doomed.url]);
  await subscribe(before, hooks);
  const sessions = await bookSessions(before, BOOKINGS, `${backend}-lease`);

  // The dispatcher's round waits on the unanswered emails; its webhooks of the same round are
  // answered and marked meanwhile. Killing it before they are marked would send them again (the
  // documented window between a send and its mark), which is not what this test is about.
  await stalling.waitForStalled(1);
  await until('the webhooks of the stuck round are marked sent', async () => {
    const unmarked = await countOf(
      database
        .knex('outbox_deliveries')
        .where({ channel: 'webhook', status: 'pending' })
        .whereNotNull('leased_by'),
    );
    return unmarked === 0;
  });
  const held: { id: number; message_id: string; leased_by: string; leased_until: unknown }[] = await database
    .knex('outbox_deliveries')
    .where({ channel: 'email', status: 'pending' })
    .whereNotNull('leased_by')
    .select('id', 'message_id', 'leased_by', 'leased_until');
  const stalledIds = [...stalling.stalled];
  await doomed.crash();

  expect(stalledIds.length).toBeGreaterThan(0);
  expect(held.map((row) => row.message_id)).toEqual(expect.arrayContaining(stalledIds));
  const deadOwner = held[0]?.leased_by;
  const mail = await sink();
  const began = Date.now();
  const restarted = await server(`${backend}-successor`, {
    ...processEnv(database, { SMTP_URL: mail.url, OUTBOX_POLL_MS: '50' }),
  });
  await expectEachDeliveredOnce(database.knex, mail, hooks, expectedMessages(sessions, []));
  expect(restarted.errorLines).toEqual([]);

  // Each message the dead process held was sent by the successor, after the lease had ended, as a
  // second try of the same message: the Message-ID is the one the stalled server was given.
  const after = await database
    .knex('outbox_deliveries')
    .whereIn(
      'id',
      held.map((row) => row.id),
    )
    .select('id', 'message_id', 'attempts', 'leased_by', 'sent_at');
  for (const row of after) {
    const lease = held.find((candidate) => candidate.id === row.id);
    expect(row.attempts).toBe(2);
    expect(row.leased_by).not.toBe(deadOwner);
    expect(instantFromDb(row.sent_at)).toBeGreaterThanOrEqual(instantFromDb(lease?.leased_until));
  }
  const delivered = new Set(mail.messages.map((email) => email.messageId));
  expect(stalledIds.filter((id) => !delivered.has(id))).toEqual([]);
  console.log(
    `[multiprocess ${backend}] outbox crash holding leases: a process killed (SIGKILL) while ` +
      `${stalledIds.length} emails waited on an SMTP server that never answered and ${held.length} ` +
      `email leases (${LEASE_MS} ms) were its own; a new process sent them once the leases ended ` +
      `(same Message-IDs, 2nd try), and all ${mail.messages.length} emails and ` +
      `${hooks.received.length} webhooks of ${BOOKINGS} bookings arrived exactly once, ` +
      `${Date.now() - began} ms after it was started`,
  );
}

async function twoDispatchers(backend: Backend): Promise<void> {
  const BOOKINGS = 40;
  const CANCELLED = 10;
  const database = await freshDatabase(backend);
  const mail = await sink();
  const hooks = await receiver();
  const servers = await startCluster(2, `${backend}-outbox`, {
    ...processEnv(database, { SMTP_URL: mail.url, OUTBOX_POLL_MS: '50' }),
  });
  releases.push(() => stopCluster(servers));
  const cluster = new Cluster(servers.map((member) => member.url));
  await subscribe(cluster, hooks);
  const began = Date.now();
  const sessions = await bookSessions(cluster, BOOKINGS, `${backend}-pair`);
  const cancelled = await cancelSessions(cluster, sessions, CANCELLED);
  const committed = Date.now();
  const expected = expectedMessages(sessions, cancelled);
  await expectEachDeliveredOnce(database.knex, mail, hooks, expected);
  const drained = Date.now();

  // Each process logs each send it made: together, once per message. A line is logged after its
  // mark is committed and reaches this process through a pipe, so the last ones may still be on
  // their way when the outbox already reads drained.
  const sent = expected.emails.length + expected.webhooks.length;
  const logged = () => servers.map((member) => member.logged('message delivered'));
  const total = () => logged().reduce((sum, count) => sum + count, 0);
  await until('every send is logged', async () => total() >= sent);
  expect(total()).toBe(sent);
  // Read after the last send's line: a failed try would have been logged before its later success.
  expect(servers.map((member) => member.logged('a message will be tried again'))).toEqual([0, 0]);
  expect(servers.flatMap((member) => member.errorLines)).toEqual([]);
  console.log(
    `[multiprocess ${backend}] outbox, 2 dispatching processes: ${BOOKINGS} bookings and ` +
      `${CANCELLED} cancellations over both in ${committed - began} ms; ${mail.messages.length} emails ` +
      `and ${hooks.received.length} webhooks, each exactly once, drained ${drained - committed} ms ` +
      `after the last commit; sends by process ${logged().join(' / ')} ` +
      `(emails+webhooks per lease owner: ${(await sendsByOwner(database.knex)).join(' / ')})`,
  );
}

describe.skipIf(!pgTestUrl)(
  `the outbox of server processes on one PostgreSQL schema${pgTestUrl ? '' : ` (${pgSkipReason})`}`,
  () => {
    it('delivers once after a crash between commit and send', () => crashBeforeSend('pg'));
    it('delivers once after a crash while holding leases', () => crashHoldingLeases('pg'));
    it('sends each message once with two processes dispatching', () => twoDispatchers('pg'));
  },
);

describe('the outbox of server processes on one SQLite file', () => {
  it('delivers once after a crash between commit and send', () => crashBeforeSend('sqlite'));
  it('delivers once after a crash while holding leases', () => crashHoldingLeases('sqlite'));
  it('sends each message once with two processes dispatching', () => twoDispatchers('sqlite'));
});
