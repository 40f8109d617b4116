import type { AppRouter } from '@mentor-scheduling/client';
import { QueryClient } from '@tanstack/react-query';
import { createTRPCClient, httpBatchLink, type TRPCClient } from '@trpc/client';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import { shouldRetry } from './errors.js';

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

export type AppTrpcClient = TRPCClient<AppRouter>;

export interface TrpcClientOptions {
  /** The tRPC endpoint; the app is served by the API server (or Vite's proxy), so the same origin. */
  url?: string;
  /** Tests answer from a function here instead of a server. */
  fetch?: typeof globalThis.fetch;
}

/**
 * The one tRPC client of the app. The token is read at every request, so signing in or out takes
 * effect without building a new client.
 */
export function makeTrpcClient(
  getToken: () => string | null,
  options: TrpcClientOptions = {},
): AppTrpcClient {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: options.url ?? '/trpc',
        headers: () => {
          const token = getToken();
          return token ? { authorization: `Bearer ${token}` } : {};
        },
        ...(options.fetch ? { fetch: options.fetch } : {}),
      }),
    ],
  });
}

/** The app's query cache: a refused request is not retried, a lost connection or a busy server is. */
export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: shouldRetry, staleTime: 15_000, refetchOnWindowFocus: true },
      mutations: { retry: false },
    },
  });
}
