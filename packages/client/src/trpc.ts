import type { AppRouter } from '@mentor-scheduling/server';
import { createTRPCClient, httpBatchLink, type TRPCClient } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';

export type { AppRouter, TrpcProblemData } from '@mentor-scheduling/server';
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export interface TrpcClientOptions {
  /** The tRPC endpoint, e.g. `http://localhost:5000/trpc` */
  url: string;
  /** Bearer token sent as `Authorization: Bearer …` */
  token?: string;
  fetch?: typeof globalThis.fetch;
}

export type TrpcClient = TRPCClient<AppRouter>;

/** A tRPC client typed by the server's router: `client.mentors.list.query({ area_of_expertise: 'Consulting' })`. */
export function createTrpcClient(options: TrpcClientOptions): TrpcClient {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: options.url,
        headers: () => (options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      }),
    ],
  });
}
