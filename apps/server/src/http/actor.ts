import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { AppError } from '../services/errors.js';
import type { Actor } from '../services/index.js';

const anonymous: Actor = { role: 'anonymous', label: 'anonymous' };
const admin: Actor = { role: 'admin', label: 'admin' };

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * The caller of a request. No Authorization header: anonymous. `Bearer <ADMIN_TOKEN>`: the operator.
 * Any other credentials are refused rather than silently downgraded to anonymous.
 */
export function actorOf(request: FastifyRequest, config: Config): Actor {
  const header = request.headers.authorization;
  if (header === undefined) return anonymous;
  const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  // Digests have equal length, so the comparison takes the same time whatever the token.
  if (token && config.adminToken && timingSafeEqual(digest(token), digest(config.adminToken))) return admin;
  throw new AppError('unauthenticated', 'The bearer token is not valid', {
    headers: { 'www-authenticate': 'Bearer' },
  });
}
