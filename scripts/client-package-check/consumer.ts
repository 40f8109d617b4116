/**
 * A program of a project outside this repository that installed the packed @mentor-scheduling/client
 * (scripts/client-package-check.sh): both clients, a REST call, tRPC queries and mutations. Checked
 * with `tsc --strict` and skipLibCheck off, then run against a server at API_URL; a wrong answer
 * throws (exit status 1).
 */
import {
  type AppRouter,
  createRestClient,
  createTrpcClient,
  type RouterInputs,
  type RouterOutputs,
  TRPCClientError,
} from '@mentor-scheduling/client';

// The consumer installs no @types/node; this is all it needs of Node.
const { env } = (globalThis as unknown as { process: { env: Record<string, string | undefined> } }).process;
const baseUrl = env.API_URL ?? 'http://127.0.0.1:5000';

function expectEqual<T>(actual: T, expected: T, what: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

// Declarations that resolved to `any` (a missing module, a broken path) would compile everything:
// these fail to compile then.
type IsAny<T> = 0 extends 1 & T ? true : false;
const typesAreReal: [
  IsAny<AppRouter>,
  IsAny<RouterOutputs['mentors']['get']>,
  IsAny<RouterInputs['mentors']['list']>,
  IsAny<RouterOutputs['auth']['login']['account']['role']>,
] = [false, false, false, false];
// Never called: each line must be refused by the types.
export function refusedByTheTypes(trpc: ReturnType<typeof createTrpcClient>) {
  // @ts-expect-error a session lasts 30, 45 or 60 minutes
  void trpc.mentors.list.query({ duration: 50 });
  // @ts-expect-error a mentor's id is a number
  void trpc.mentors.get.query({ id: '1' });
  // @ts-expect-error logging in is a mutation
  void trpc.auth.login.query({ email: 'a@example.com', password: 'x' });
  // @ts-expect-error no such procedure
  void trpc.mentors.remove.mutate({ id: 1 });
}

// REST: mentors of an area (public).
const rest = createRestClient({ baseUrl });
const listed = await rest.GET('/api/mentors', {
  params: { query: { area_of_expertise: 'Equity Research', limit: 5 } },
});
if (!listed.data) throw new Error(`REST list failed: ${JSON.stringify(listed.error)}`);
const first = listed.data[0];
if (!first) throw new Error('REST list: no mentor in Equity Research');
expectEqual(first.areas_of_expertise.includes('Equity Research'), true, 'REST list: area');

// tRPC query: the same mentor.
const anonymous = createTrpcClient({ url: `${baseUrl}/trpc` });
const mentor: RouterOutputs['mentors']['get'] = await anonymous.mentors.get.query({ id: first.id });
expectEqual(mentor.name, first.name, 'tRPC mentors.get: name');

// tRPC mutations: a refused login carries the contract's error code; a right one answers a token.
const refused = await anonymous.auth.login
  .mutate({ email: 'aarav.sharma@example.com', password: 'not-the-password' })
  .then(
    () => null,
    (error: unknown) => error,
  );
if (!(refused instanceof TRPCClientError))
  throw new Error('tRPC login with a wrong password was not refused');
const problem = (refused as TRPCClientError<AppRouter>).data;
expectEqual([problem?.httpStatus, problem?.appCode], [401, 'invalid_credentials'], 'tRPC refused login');

const session = await anonymous.auth.login.mutate({
  email: 'aarav.sharma@example.com',
  password: 'demo-password',
});
const student = createTrpcClient({ url: `${baseUrl}/trpc`, token: session.token });
const me = await student.auth.me.query();
expectEqual([me.email, me.role], ['aarav.sharma@example.com', 'student'], 'tRPC auth.me');

console.log(
  `client-package: the installed client answered right (types real: ${typesAreReal.every((isAny) => !isAny)})`,
);
