import { z } from 'zod';
import { IdAnswerSchema } from '../answer-primitives.js';
import {
  IdParamSchema,
  InstantInputSchema,
  InstantSchema,
  pageQueryShape,
  textSchema,
} from '../primitives.js';

export const auditTargetTypes = [
  'account',
  'mentor',
  'student',
  'booking',
  'webhook_endpoint',
  'outbox_delivery',
] as const;

export const AuditTargetTypeSchema = z
  .enum(auditTargetTypes)
  .meta({ description: 'What kind of record was changed', example: 'mentor' });

const RecordStateSchema = z.record(z.string(), z.unknown()).nullable();

export const AuditEntrySchema = z
  .object({
    id: IdAnswerSchema,
    at: InstantSchema,
    actor: z
      .object({
        role: z.enum(['student', 'mentor', 'admin']).meta({ example: 'admin' }),
        label: z.string().meta({
          description: '`account:<id>` for an account, `operator` for the operator token (ADMIN_TOKEN)',
          example: 'account:1',
        }),
        account_id: IdAnswerSchema.nullable().meta({ example: 1 }),
      })
      .meta({ description: 'Who made the change' }),
    request_id: z.string().nullable().meta({
      description: 'The `x-request-id` of the request that made it: the same id is in the logs and traces',
      example: '0b0c5f6e-3f4b-4d8e-9a51-6a1f4c2d7e90',
    }),
    operation: z.string().meta({ description: 'The operation id that made it', example: 'mentors.update' }),
    target_type: AuditTargetTypeSchema,
    target_id: IdAnswerSchema.nullable().meta({ example: 2 }),
    before: RecordStateSchema.meta({
      description:
        'The record before the change (null when it did not exist yet). Secrets are never recorded; an erased student’s personal fields are replaced here too.',
      example: { is_premium: false },
    }),
    after: RecordStateSchema.meta({
      description: 'The record after the change (null when it no longer exists)',
      example: { is_premium: true },
    }),
  })
  .meta({ id: 'AuditEntry', description: 'One change made by an admin or the operator token.' });

export type AuditEntry = z.infer<typeof AuditEntrySchema>;

export const ListAuditLogQuerySchema = z.object({
  operation: textSchema({ max: 60 }).optional().meta({
    description: 'Only changes made by this operation',
    example: 'bookings.cancel',
  }),
  target_type: AuditTargetTypeSchema.optional().meta({ description: 'Only changes of records of this kind' }),
  target_id: IdParamSchema.optional().meta({
    description: 'Only changes of this record (with `target_type`)',
  }),
  actor_account_id: IdParamSchema.optional().meta({ description: 'Only changes made by this account' }),
  from: InstantInputSchema.optional().meta({ description: 'Changes made at or after this instant' }),
  to: InstantInputSchema.optional().meta({ description: 'Changes made before this instant' }),
  ...pageQueryShape,
});
