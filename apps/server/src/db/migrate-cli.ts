import { loadConfig, loadDotEnv } from '../config.js';
import { hashPassword } from '../services/passwords.js';
import { openDatabase } from './connection.js';
import { DEMO_PASSWORD, seedDemoCatalogue } from './demo-catalogue.js';
import { migrateToLatest } from './migrate.js';

/** `npm run migrate`: brings the configured database to the latest schema (and demo data when enabled). */
async function run(): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  const db = openDatabase(config.database);
  try {
    const applied = await migrateToLatest(db.knex);
    console.log(applied.length > 0 ? `Applied: ${applied.join(', ')}` : 'Already up to date.');
    // In production the demo catalogue comes without its accounts, whose password is published.
    const demoHash =
      config.env === 'production' ? null : () => hashPassword(DEMO_PASSWORD, config.auth.scrypt);
    if (config.seedDemo && (await seedDemoCatalogue(db.knex, config.defaultTimezone, demoHash))) {
      console.log('Loaded the demo catalogue into the empty database.');
    }
  } finally {
    await db.close();
  }
}

run().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
