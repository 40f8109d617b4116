/**
 * Renders the app (or one page of it) with its real providers and router, talking to an in-test
 * function instead of the API server: the function answers each tRPC call as the server's tRPC
 * envelope would (`{ result: { data } }` or `{ error: { code, message, data: { appCode, … } } }`),
 * so the real tRPC client, its batching and its error parsing all run.
 */
import type { ErrorCode, FieldError, SlotHint } from '@mentor-scheduling/contracts';
import { errorCatalogue } from '@mentor-scheduling/contracts';
import { render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { vi } from 'vitest';
import { AppProviders } from '../src/providers.js';
import { routes } from '../src/routes.js';
import { readStoredToken, tokenStorageKey } from '../src/session.js';
import { makeQueryClient, makeTrpcClient } from '../src/trpc.js';

/** One procedure call as the fake server sees it. */
export interface FakeCall {
  /** The procedure, e.g. `auth.login`. */
  path: string;
  input: unknown;
  /** The bearer token the call carried, if any. */
  token: string | null;
}

export type FakeAnswer =
  | { data: unknown }
  | { problem: ErrorCode; message?: string; errors?: FieldError[]; next_slots?: SlotHint[] };

export type FakeServer = (call: FakeCall) => FakeAnswer | Promise<FakeAnswer>;

// The tRPC code and JSON-RPC number the server gives each HTTP status (apps/server/src/http/trpc.ts).
const trpcCodeByStatus: Record<number, [string, number]> = {
  400: ['BAD_REQUEST', -32600],
  401: ['UNAUTHORIZED', -32001],
  403: ['FORBIDDEN', -32003],
  404: ['NOT_FOUND', -32004],
  405: ['METHOD_NOT_SUPPORTED', -32005],
  408: ['TIMEOUT', -32008],
  409: ['CONFLICT', -32009],
  413: ['PAYLOAD_TOO_LARGE', -32013],
  415: ['UNSUPPORTED_MEDIA_TYPE', -32015],
  422: ['UNPROCESSABLE_CONTENT', -32022],
  429: ['TOO_MANY_REQUESTS', -32029],
  503: ['SERVICE_UNAVAILABLE', -32603],
};

/** The envelope the server answers a refused call with. */
export function problemEnvelope(path: string, answer: Extract<FakeAnswer, { problem: ErrorCode }>) {
  const status = errorCatalogue[answer.problem].status;
  const [code, number] = trpcCodeByStatus[status] ?? ['INTERNAL_SERVER_ERROR', -32603];
  return {
    status,
    body: {
      error: {
        code: number,
        message: answer.message ?? errorCatalogue[answer.problem].title,
        data: {
          code,
          httpStatus: status,
          path,
          appCode: answer.problem,
          ...(answer.errors ? { errors: answer.errors } : {}),
          ...(answer.next_slots ? { next_slots: answer.next_slots } : {}),
        },
      },
    },
  };
}

function headerOf(init: RequestInit | undefined, name: string): string | null {
  return new Headers(init?.headers).get(name);
}

/** A `fetch` for the tRPC client that answers from `server` and records every call in `calls`. */
export function fakeTrpcFetch(server: FakeServer, calls: FakeCall[] = []): typeof fetch {
  return async (resource, init) => {
    const url = new URL(String(resource instanceof Request ? resource.url : resource));
    const paths = decodeURIComponent(url.pathname.replace(/^.*\/trpc\//, '')).split(',');
    const rawInput =
      init?.method === 'POST' ? String(init.body ?? '{}') : (url.searchParams.get('input') ?? '{}');
    const inputs = JSON.parse(rawInput) as Record<string, unknown>;
    const authorization = headerOf(init, 'authorization');
    const token = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : null;

    const results: unknown[] = [];
    let status = 200;
    for (const [index, path] of paths.entries()) {
      const call: FakeCall = { path, input: inputs[String(index)], token };
      calls.push(call);
      const answer = await server(call);
      if ('data' in answer) {
        results.push({ result: { data: answer.data } });
      } else {
        const envelope = problemEnvelope(path, answer);
        results.push(envelope.body);
        status = paths.length === 1 ? envelope.status : 207;
      }
    }
    return new Response(JSON.stringify(results), { status, headers: { 'content-type': 'application/json' } });
  };
}

/** A fake server's answer to a procedure nobody told it about: fails the test loudly. */
export function unexpectedCall(call: FakeCall): never {
  throw new Error(`The test did not expect a call of ${call.path}`);
}

/** An account as `auth.me` and `auth.login` answer it. */
export function account(role: 'student' | 'mentor' | 'admin', email: string) {
  return {
    id: role === 'admin' ? 1 : 2,
    email,
    role,
    student_id: role === 'student' ? 1 : null,
    mentor_id: role === 'mentor' ? 1 : null,
    created_at: '2026-01-05T10:00:00.000Z',
  };
}

/** Renders the whole app at `path`, signed in with `token` when given, against `server`. */
export function renderApp({
  path = '/',
  server,
  token,
}: {
  path?: string;
  server: FakeServer;
  token?: string;
}) {
  if (token) localStorage.setItem(tokenStorageKey, token);
  const calls: FakeCall[] = [];
  const queryClient = makeQueryClient();
  const trpcClient = makeTrpcClient(readStoredToken, {
    url: 'http://app.test/trpc',
    fetch: fakeTrpcFetch(server, calls),
  });
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  const user = userEvent.setup();
  const view = render(
    <AppProviders queryClient={queryClient} trpcClient={trpcClient}>
      <RouterProvider router={router} />
    </AppProviders>,
  );
  return { ...view, calls, router, queryClient, user };
}

/** Types into a field at once (as pasting does): typing key by key would make every form test slow. */
export async function fill(user: ReturnType<typeof userEvent.setup>, field: HTMLElement, text: string) {
  await user.click(field);
  await user.paste(text);
}

/** A file the app handed the browser to download. */
export interface SavedFile {
  name: string;
  type: string;
  text: () => Promise<string>;
}

/**
 * Records the files the app saves through a Blob and a link's click: jsdom cannot download, so the
 * browser's part ends where the link is clicked. Restore with `vi.restoreAllMocks()`.
 */
export function captureDownloads(): SavedFile[] {
  const files: SavedFile[] = [];
  const blobs = new Map<string, Blob>();
  vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
    const url = `blob:http://app.test/file-${blobs.size + 1}`;
    blobs.set(url, blob as Blob);
    return url;
  });
  vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => {});
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    const blob = blobs.get(this.href);
    if (!blob) throw new Error(`A link to ${this.href} was clicked, not one to a saved file`);
    files.push({
      name: this.download,
      type: blob.type,
      text: () =>
        new Promise<string>((resolve) => {
          const reader = new FileReader();
          reader.onload = () => resolve(String(reader.result));
          reader.readAsText(blob);
        }),
    });
  });
  return files;
}
