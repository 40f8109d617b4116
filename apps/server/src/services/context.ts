import type { Config } from '../config.js';
import type { Database } from '../db/connection.js';
import type { AnswerCache } from './answer-cache.js';
import type { WebhookSender } from './notification-ports.js';
import type { PasswordHasher } from './passwords.js';
import type { PaymentProvider } from './payment-provider.js';
import type { ServiceMetrics } from './service-metrics.js';

export interface Logger {
  info(details: object, message?: string): void;
  warn(details: object, message?: string): void;
  error(details: object, message?: string): void;
}

/** Who is calling: an account (student, mentor, admin), the operator token, or nobody. */
export interface Actor {
  role: 'student' | 'mentor' | 'admin' | 'anonymous';
  /** Recorded in booking history and used to scope idempotency keys */
  label: string;
  accountId?: number;
  studentId?: number;
  mentorId?: number;
  /** Hash of the session token of this request, to revoke it on logout */
  tokenHash?: string;
}

/** What every use case needs: the database, the configuration, the clock, a logger and the caller. */
export interface ServiceContext {
  db: Database;
  config: Config;
  now(): number;
  log: Logger;
  actor: Actor;
  /** The caller's address (the socket's, or the one trusted proxies forwarded): login attempts count per address */
  clientAddress: string;
  /** Every password hash goes through it: it bounds how many run and wait at once */
  passwords: PasswordHasher;
  /** Costly read answers kept until the data or the clock minute changes */
  answers: AnswerCache;
  /** The payment provider's adapter when payments are on (`PAYMENT_PROVIDER`), else null */
  payments: PaymentProvider | null;
  /** Delivers outgoing webhooks; here for checking and signing up endpoints */
  webhooks: WebhookSender;
  /** `scheme://host` as the caller reached this server, for links when PUBLIC_BASE_URL is unset */
  origin: string;
  /** The request's id (`x-request-id`), as in its logs and traces: audit entries carry it */
  requestId?: string;
  /** Where bookings made and changed, slot computations and payment events are reported */
  metrics: ServiceMetrics;
}
