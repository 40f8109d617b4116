import { createTRPCClient, httpBatchLink, type TRPCClient } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from './generated/router.js';

// The class the client throws, from the copy of @trpc/client this package uses: `instanceof` holds.
export { TRPCClientError } from '@trpc/client';
export type { AppRouter } from './generated/router.js';
export type { TrpcErrorShape, TrpcProblemData } from './trpc-types.js';
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

/**
 * A tRPC client typed by the server's router (its type generated from the contract, so no server code
 * comes with it): `client.mentors.list.query({ area_of_expertise: 'Consulting' })`.
 */
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
