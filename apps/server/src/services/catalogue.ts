import type { Area, Pricing } from '@mentor-scheduling/contracts';
import { sessionDurations } from '@mentor-scheduling/contracts';
import { AreaModel } from '../db/models.js';
import { minorToMajor, priceOf } from '../domain/pricing.js';
import type { ServiceContext } from './context.js';
import { AppError, databaseErrorOf } from './errors.js';

export async function listAreas(ctx: ServiceContext): Promise<Area[]> {
  const rows = (await AreaModel.query(ctx.db.knex)
    .select('areas.id', 'areas.name', 'areas.slug')
    .count({ mentor_count: 'mentor_areas.mentor_id' })
    .leftJoin('mentor_areas', 'mentor_areas.area_id', 'areas.id')
    .groupBy('areas.id', 'areas.name', 'areas.slug')) as unknown as {
    id: number;
    name: string;
    slug: string;
    mentor_count: number | string;
  }[];
  // Sorted here, not by the database, so every database and collation gives the same order.
  return rows
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((row) => ({ id: row.id, name: row.name, slug: row.slug, mentor_count: Number(row.mentor_count) }));
}

export function getPricing(ctx: ServiceContext): Pricing {
  const table = ctx.config.pricing;
  return {
    currency: table.currency,
    premium_multiplier: table.premiumMultiplier,
    prices: sessionDurations.map((duration) => ({
      duration,
      standard: minorToMajor(priceOf(table, duration, false) ?? 0),
      premium: minorToMajor(priceOf(table, duration, true) ?? 0),
    })),
  };
}

export function unknownAreas(names: readonly string[]): AppError {
  return new AppError('unknown_area', `Unknown area of expertise: ${names.join(', ')}. See GET /api/areas.`);
}

/** Finds areas by name or slug, case-insensitively; unknown names are refused with all of them listed. */
export async function areasByName(
  ctx: ServiceContext,
  names: readonly string[],
  db = ctx.db.knex,
): Promise<{ id: number; name: string }[]> {
  const keyOf = (name: string) => name.trim().toLowerCase();
  const keys = [...new Set(names.map(keyOf))];
  const rows: { id: number; name: string; slug: string }[] = await db('areas')
    .select('id', 'name', 'slug')
    .where((query) =>
      query.whereRaw(`lower(name) in (${keys.map(() => '?').join(', ')})`, keys).orWhereIn('slug', keys),
    );
  const matchOf = (name: string) =>
    rows.find((row) => row.name.toLowerCase() === keyOf(name) || row.slug === keyOf(name));
  const unknown = names.filter((name) => !matchOf(name));
  if (unknown.length > 0) throw unknownAreas(unknown);
  const byId = new Map(names.map((name) => matchOf(name)).map((row) => [row?.id, row] as const));
  return [...byId.values()].flatMap((row) => (row ? [{ id: row.id, name: row.name }] : []));
}

/**
 * Ready when the database answers a real read (a table's pages, not just the connection) and takes a
 * write (see Database.checkWritable). A write lock held by another writer is no failure of this
 * instance: requests already get 503 service_busy meanwhile, and taking every instance out of
 * rotation at once would turn slow writes into an outage.
 */
export async function checkReadiness(ctx: ServiceContext): Promise<{ status: 'ready'; database: 'ok' }> {
  try {
    await ctx.db.knex('areas').first('id');
  } catch (error) {
    ctx.log.error({ err: error }, 'readiness check failed: the database does not answer a read');
    throw new AppError('not_ready', 'The database does not answer');
  }
  try {
    await ctx.db.checkWritable();
  } catch (error) {
    if (databaseErrorOf(error)?.code !== 'service_busy') {
      ctx.log.error({ err: error }, 'readiness check failed: the database does not take a write');
      throw new AppError('not_ready', 'The database does not take writes (full, read-only or failing)');
    }
  }
  return { status: 'ready', database: 'ok' };
}
