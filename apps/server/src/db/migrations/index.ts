import type { Knex } from 'knex';
import * as catalogueAndBookings from './001_catalogue_and_bookings.js';
import * as changesPreferencesIdempotency from './002_changes_preferences_idempotency.js';
import * as accounts from './003_accounts.js';
import * as boundedOverlapTriggers from './004_bounded_overlap_triggers.js';
import * as loginAttemptsPerClient from './005_login_attempts_per_client.js';
import * as bookingChangePrices from './006_booking_change_prices.js';
import * as paymentHolds from './007_payment_holds.js';
import * as notifications from './008_notifications.js';
import * as pendingHoldIndexes from './009_pending_hold_indexes.js';
import * as auditLogAndErasure from './010_audit_log_and_erasure.js';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** Ordered list of migrations, imported statically so they run the same from source, build or bundle. */
const migrations: ReadonlyArray<readonly [string, Migration]> = [
  ['001_catalogue_and_bookings', catalogueAndBookings],
  ['002_changes_preferences_idempotency', changesPreferencesIdempotency],
  ['003_accounts', accounts],
  ['004_bounded_overlap_triggers', boundedOverlapTriggers],
  ['005_login_attempts_per_client', loginAttemptsPerClient],
  ['006_booking_change_prices', bookingChangePrices],
  ['007_payment_holds', paymentHolds],
  ['008_notifications', notifications],
  ['009_pending_hold_indexes', pendingHoldIndexes],
  ['010_audit_log_and_erasure', auditLogAndErasure],
];

export const migrationSource: Knex.MigrationSource<readonly [string, Migration]> = {
  getMigrations: async () => [...migrations],
  getMigrationName: ([name]) => name,
  getMigration: async ([, migration]) => migration,
};
