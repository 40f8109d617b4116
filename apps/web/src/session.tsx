import type { RouterOutputs } from '@mentor-scheduling/client';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { errorCodeOf } from './errors.js';
import { useTRPC, useTRPCClient } from './trpc.js';

export type Account = RouterOutputs['auth']['me'];
export type Role = Account['role'];
export type SessionStatus = 'loading' | 'anonymous' | 'signed-in';

export interface Session {
  token: string | null;
  /** Who is signed in (`auth.me`), once known. */
  me: Account | null;
  status: SessionStatus;
  /** Why `auth.me` could not be read (offline, server down), while the status stays 'loading'. */
  problem: unknown;
  /** Ask `auth.me` again after a problem. */
  retry: () => void;
  /** Keep the token; pass the account the login answered with so pages need not wait for `auth.me`. */
  signIn: (token: string, account?: Account) => void;
  /**
   * Revoke the token on the server (best effort), then forget it and everything cached for it.
   * `notice` is a sentence for the sign-in page to show next (why the person was signed out).
   */
  signOut: (notice?: string) => Promise<void>;
  /** The sentence the last sign out left for the sign-in page, until someone signs in. */
  notice: string | null;
}

export const tokenStorageKey = 'mentor-sessions.token';

// Storage can be refused (private windows, disabled cookies): the session then lasts as long as the tab.
let tokenInMemory: string | null = null;

/** The token as the tRPC client sends it: read at every request. */
export function readStoredToken(): string | null {
  try {
    return localStorage.getItem(tokenStorageKey);
  } catch {
    return tokenInMemory;
  }
}

function storeToken(token: string | null): void {
  tokenInMemory = token;
  try {
    if (token === null) localStorage.removeItem(tokenStorageKey);
    else localStorage.setItem(tokenStorageKey, token);
  } catch {
    // Kept in memory only; see tokenInMemory.
  }
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const [token, setToken] = useState<string | null>(readStoredToken);
  // Kept here rather than in the address: the route guards' own redirect to sign-in can overtake a
  // page's navigation, but not this.
  const [notice, setNotice] = useState<string | null>(null);

  const me = useQuery({
    ...trpc.auth.me.queryOptions(undefined, { enabled: token !== null }),
    staleTime: 5 * 60_000,
  });

  /** Drop the token and every answer fetched with it, so the next person sees nothing of the last. */
  const forget = useCallback(() => {
    storeToken(null);
    setToken(null);
    queryClient.clear();
  }, [queryClient]);

  // A token the server no longer accepts (expired, revoked elsewhere) signs the person out, whichever
  // call found out.
  useEffect(() => {
    const onError = (error: unknown) => {
      if (errorCodeOf(error) === 'unauthenticated' && readStoredToken() !== null) forget();
    };
    const unsubscribeQueries = queryClient.getQueryCache().subscribe((event) => {
      if (event.type === 'updated' && event.action.type === 'error') onError(event.action.error);
    });
    const unsubscribeMutations = queryClient.getMutationCache().subscribe((event) => {
      if (event.type === 'updated' && event.action.type === 'error') onError(event.action.error);
    });
    return () => {
      unsubscribeQueries();
      unsubscribeMutations();
    };
  }, [queryClient, forget]);

  // Signing in or out in another tab does the same here.
  useEffect(() => {
    const onStorage = (event: StorageEvent) => {
      if (event.key !== tokenStorageKey && event.key !== null) return;
      queryClient.clear();
      setToken(readStoredToken());
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, [queryClient]);

  const signIn = useCallback(
    (newToken: string, account?: Account) => {
      storeToken(newToken);
      setNotice(null);
      queryClient.clear();
      if (account) queryClient.setQueryData(trpc.auth.me.queryKey(), account);
      setToken(newToken);
    },
    [queryClient, trpc],
  );

  const signOut = useCallback(
    async (sentence?: string) => {
      try {
        if (readStoredToken() !== null) await client.auth.logout.mutate();
      } catch {
        // Signing out here must work offline or with a dead token; the token expires on its own.
      } finally {
        setNotice(sentence ?? null);
        forget();
      }
    },
    [client, forget],
  );

  const { refetch } = me;
  const retry = useCallback(() => void refetch(), [refetch]);

  const session = useMemo<Session>(() => {
    const account = token !== null ? (me.data ?? null) : null;
    const status: SessionStatus = token === null ? 'anonymous' : account ? 'signed-in' : 'loading';
    const problem = token !== null && !account ? me.error : null;
    return { token, me: account, status, problem, retry, signIn, signOut, notice };
  }, [token, me.data, me.error, retry, signIn, signOut, notice]);

  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession needs a <SessionProvider> above it');
  return session;
}
