import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The web app (apps/web, built by Vite) served at `/`: its files as they are, and `index.html` for
 * any other page address a browser asks for (`/book`, `/bookings/42?payment=done`), where the app's
 * own router takes over. The API's prefixes are never answered with the app, so a mistyped API path
 * still gets its problem document.
 */

/** `apps/web/dist`, found from this file in src/http or dist/http of the server package. */
export const DEFAULT_WEB_APP_DIRECTORY = resolve(
  fileURLToPath(new URL('../../../web/dist/', import.meta.url)),
);

const API_PREFIXES = ['/api', '/trpc', '/docs'];

function isApiPath(path: string): boolean {
  return API_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/** A browser navigating to a page of the app: a read that accepts HTML, outside the API. */
export function isAppPageRequest(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const path = request.url.split('?')[0] ?? '/';
  if (isApiPath(path)) return false;
  // The root is the app whoever asks; elsewhere only a browser's navigation gets it, so a missing
  // file or a script's mistyped address still gets a problem document.
  return path === '/' || (request.headers.accept ?? '').includes('text/html');
}

export interface WebApp {
  /** Answers a page address with the app's index.html */
  sendIndex(reply: FastifyReply): FastifyReply;
}

/** Serves the built app when `directory` holds one; answers null (and the API alone) otherwise. */
export async function mountWebApp(app: FastifyInstance, directory: string): Promise<WebApp | null> {
  if (!existsSync(join(directory, 'index.html'))) {
    app.log.info({ directory }, 'no built web app: serving the API only (npm start builds it)');
    return null;
  }
  await app.register(fastifyStatic, {
    root: directory,
    prefix: '/',
    // One route per file present at start: nothing else is claimed, so the API's paths stay its own.
    wildcard: false,
    index: false,
    setHeaders(reply, path) {
      // Vite names built assets by their content: a changed file has a new name.
      const immutable = path.includes(`${join(directory, 'assets')}`);
      reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  app.log.info({ directory }, 'web app served at /');
  return {
    sendIndex: (reply) => reply.header('cache-control', 'no-cache').sendFile('index.html'),
  };
}
