import { createHash, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config.js';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Compares against ADMIN_TOKEN in constant time: digests have equal length whatever the input. */
export function operatorTokenCheck(config: Config): (token: string) => boolean {
  if (!config.adminToken) return () => false;
  const expected = digest(config.adminToken);
  return (token) => timingSafeEqual(digest(token), expected);
}
