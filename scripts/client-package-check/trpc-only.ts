/**
 * The yardstick for scripts/client-package-check.sh: a program that uses @trpc/client alone, typed by
 * a two-procedure router, as small as a tRPC client gets. The client package's program may take at
 * most twice as long to type-check.
 */
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import type { TRPCBuiltRouter, TRPCMutationProcedure, TRPCQueryProcedure } from '@trpc/server';

type Router = TRPCBuiltRouter<
  {
    ctx: object;
    meta: object;
    errorShape: { code: number; message: string; data: object };
    transformer: false;
  },
  {
    mentors: {
      get: TRPCQueryProcedure<{ input: { id: number }; output: { id: number; name: string }; meta: object }>;
    };
    auth: {
      login: TRPCMutationProcedure<{
        input: { email: string; password: string };
        output: { token: string };
        meta: object;
      }>;
    };
  }
>;

const client = createTRPCClient<Router>({ links: [httpBatchLink({ url: 'http://127.0.0.1:5000/trpc' })] });

export async function run(): Promise<string> {
  const mentor = await client.mentors.get.query({ id: 1 });
  const session = await client.auth.login
    .mutate({ email: 'aarav.sharma@example.com', password: 'demo-password' })
    .catch((error: unknown) => (error instanceof TRPCClientError ? { token: '' } : Promise.reject(error)));
  return `${mentor.name} ${session.token}`;
}
