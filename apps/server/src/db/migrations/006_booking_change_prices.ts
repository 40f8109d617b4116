import type { Knex } from 'knex';

/**
 * The price of a booking before and after each change, so its history shows what a move cost (a
 * new duration is re-priced; a move alone keeps the price paid). Changes recorded before this
 * migration have no prices: both columns stay null there.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('booking_changes', (table) => {
    table.integer('from_price_minor').nullable().comment('integer minor units (paise)');
    table.integer('to_price_minor').nullable().comment('integer minor units (paise); null when cancelled');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('booking_changes', (table) => {
    table.dropColumn('to_price_minor');
    table.dropColumn('from_price_minor');
  });
}
