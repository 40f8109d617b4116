import type { Config } from '../config.js';
import type { Database } from '../db/connection.js';

export interface Logger {
  info(details: object, message?: string): void;
  warn(details: object, message?: string): void;
  error(details: object, message?: string): void;
}

/** What every use case needs: the database, the configuration, the clock and a logger. */
export interface ServiceContext {
  db: Database;
  config: Config;
  now(): number;
  log: Logger;
}
