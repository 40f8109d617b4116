import { z } from 'zod';
import { InstantSchema, TimeZoneSchema } from '../primitives.js';

export const roles = ['student', 'mentor', 'admin'] as const;
export const RoleSchema = z.enum(roles).meta({ id: 'Role' });
export type Role = (typeof roles)[number];

const EmailSchema = z.email().max(254).meta({ example: 'aarav.sharma@example.com' });
const PasswordSchema = z
  .string()
  .min(10, 'Use at least 10 characters')
  .max(200)
  .meta({ description: 'At least 10 characters', example: 'correct horse battery' });

export const RegisterSchema = z
  .object({
    name: z.string().trim().min(1).max(120),
    email: EmailSchema,
    password: PasswordSchema,
    area_of_interest: z.string().trim().min(1).max(120).nullable().optional(),
    timezone: TimeZoneSchema.optional().meta({ description: 'Defaults to the platform zone' }),
  })
  .meta({ id: 'Register', description: 'A student creates their own account.' });

export const LoginSchema = z
  .object({ email: EmailSchema, password: z.string().min(1).max(200) })
  .meta({ id: 'Login' });

export const AccountSchema = z
  .object({
    id: z.number().int(),
    email: z.string(),
    role: RoleSchema,
    student_id: z.number().int().nullable(),
    mentor_id: z.number().int().nullable(),
    created_at: InstantSchema,
  })
  .meta({ id: 'Account' });

export const CreateAccountSchema = z
  .object({
    email: EmailSchema,
    password: PasswordSchema,
    role: z.enum(['mentor', 'admin']),
    mentor_id: z.number().int().positive().optional().meta({ description: 'Required for a mentor account' }),
  })
  .meta({ id: 'CreateAccount', description: 'An admin creates a mentor’s or another admin’s account.' });

export const SessionTokenSchema = z
  .object({
    token: z.string().meta({ description: 'Send as `Authorization: Bearer <token>`' }),
    token_type: z.literal('Bearer'),
    expires_at: InstantSchema,
    account: AccountSchema,
  })
  .meta({ id: 'SessionToken' });

export const LogoutResultSchema = z.object({ revoked: z.literal(true) }).meta({ id: 'LogoutResult' });

export type Account = z.infer<typeof AccountSchema>;
