// For the knex CLI (`npx knex migrate:latest --knexfile apps/server/knexfile.js`), as the first
// backend documented it. Needs the server built (`npm run build`); the server itself migrates at start.
import { loadConfig, loadDotEnv } from './dist/config.js';
import { knexConfigFor } from './dist/db/connection.js';
import { migratorConfig } from './dist/db/migrate.js';

loadDotEnv();
const config = loadConfig();

export default { ...knexConfigFor(config.database), migrations: migratorConfig };
