/**
 * Books a session with both typed clients of @mentor-scheduling/client, as a front end or a third
 * party would: find an open slot and book it over REST (types generated from openapi/openapi.yaml),
 * read, move and cancel it over tRPC (types inferred from the server's router), then read its history
 * over REST again. Run it against a running server:
 *
 *   API_URL=http://localhost:5000 npx tsx examples/book-a-session.ts
 *
 * (`bash scripts/run-example.sh` starts a server on a temporary database, runs this, and stops it.)
 * Any answer other than the expected one exits with status 1.
 */
import { type AppRouter, createRestClient, createTrpcClient } from '@mentor-scheduling/client';
import { TRPCClientError } from '@trpc/client';

// biome-ignore lint/suspicious/noUndeclaredEnvVars: read by this example only, never by a turbo task
const baseUrl = process.env.API_URL ?? 'http://localhost:5000';
const area = 'Equity Research';

function fail(message: string, detail?: unknown): never {
  console.error(`example: ${message}`, detail ?? '');
  process.exit(1);
}

// 1. Log in as a demo student (REST). Every call after this carries the bearer token.
const anonymous = createRestClient({ baseUrl });
const login = await anonymous.POST('/api/auth/login', {
  body: { email: 'aarav.sharma@example.com', password: 'demo-password' },
});
if (!login.data) fail('login failed', login.error);
const { token, account } = login.data;
console.log(`logged in as ${account.email} (student ${account.student_id})`);

const rest = createRestClient({ baseUrl, token });
const trpc = createTrpcClient({ url: `${baseUrl}/trpc`, token });

// 2. When is someone in the area free for 45 minutes? (REST, public)
const search = await rest.GET('/api/slots', {
  params: { query: { area_of_expertise: area, duration: 45, timezone: 'Asia/Kolkata' } },
});
if (!search.data) fail('slot search failed', search.error);
const [slot, later] = search.data.slots;
if (!slot || !later) fail(`no open ${area} slots in the next 7 days`);
console.log(
  `${search.data.slots.length} open starts; taking ${slot.start_time} (${slot.mentors_available} mentor(s) free)`,
);

// 3. Book it, safely retryable (REST): the service assigns a mentor and computes the price.
const created = await rest.POST('/api/bookings', {
  params: { header: { 'Idempotency-Key': `example-${Date.now()}` } },
  body: { area_of_expertise: area, start_time: slot.start_time, duration: 45 },
});
if (created.response.status !== 201 || !created.data) fail('booking failed', created.error);
const { booking } = created.data;
console.log(`booked #${booking.id} with mentor ${booking.mentor_id}: ${booking.cost} ${booking.currency}`);

// 4. The same slot again for the same student is refused, with a machine-readable code (REST).
const again = await rest.POST('/api/bookings', {
  body: { mentor_id: booking.mentor_id, start_time: slot.start_time, duration: 45 },
});
if (again.response.status !== 409) fail('a double booking was not refused', again.data);
console.log(`booking it twice: ${again.response.status} ${again.error?.code}`);

// 5. Read it back and move it (tRPC).
const read = await trpc.bookings.get.query({ id: booking.id });
if (read.start_time !== booking.start_time) fail('tRPC read another booking', read);
try {
  const moved = await trpc.bookings.reschedule.mutate({ id: booking.id, start_time: later.start_time });
  console.log(`moved #${moved.id} to ${moved.start_time}`);
} catch (error) {
  // Another mentor may be the one free then: a refusal carries the same codes as REST.
  if (!(error instanceof TRPCClientError)) throw error;
  const data = (error as TRPCClientError<AppRouter>).data;
  console.log(`moving it was refused: ${data?.httpStatus} ${data?.appCode}`);
}

// 6. Cancel it (tRPC), then read its history (REST).
const cancelled = await trpc.bookings.cancel.mutate({ id: booking.id, reason: 'Example run' });
if (cancelled.status !== 'cancelled') fail('cancel did not cancel', cancelled);
const history = await rest.GET('/api/bookings/{id}/history', { params: { path: { id: booking.id } } });
if (!history.data) fail('history failed', history.error);
console.log(`history: ${history.data.map((change) => `${change.kind} by ${change.actor}`).join(', ')}`);
console.log('example: done');
