import { z } from 'zod';
import { InstantSchema, TimeZoneSchema } from '../primitives.js';

export const roles = ['student', 'mentor', 'admin'] as const;
export const RoleSchema = z
  .enum(roles)
  .meta({ id: 'Role', description: 'What an account may do', example: 'student' });
export type Role = (typeof roles)[number];

const EmailSchema = z.email().max(254).meta({ example: 'aarav.sharma@example.com' });
const PasswordSchema = z
  .string()
  .min(10, 'Use at least 10 characters')
  .max(200)
  .meta({ description: 'At least 10 characters', example: 'correct horse battery' });

export const RegisterSchema = z
  .object({
    name: z.string().trim().min(1).max(120).meta({ example: 'Ira Bhat' }),
    email: EmailSchema.meta({ example: 'ira.bhat@example.com' }),
    password: PasswordSchema,
    area_of_interest: z.string().trim().min(1).max(120).nullable().optional().meta({ example: 'Consulting' }),
    timezone: TimeZoneSchema.optional().meta({ description: 'Defaults to the platform zone' }),
  })
  .meta({ id: 'Register', description: 'A student creates their own account.' });

export const LoginSchema = z
  .object({ email: EmailSchema, password: z.string().min(1).max(200).meta({ example: 'demo-password' }) })
  .meta({ id: 'Login', description: 'An account’s email and password.' });

export const AccountSchema = z
  .object({
    id: z.number().int().meta({ example: 3 }),
    email: z.string().meta({ example: 'aarav.sharma@example.com' }),
    role: RoleSchema,
    student_id: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'The student this account is, for students', example: 1 }),
    mentor_id: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'The mentor this account is, for mentors', example: null }),
    created_at: InstantSchema,
  })
  .meta({ id: 'Account', description: 'A login of a student, a mentor or an admin.' });

export const CreateAccountSchema = z
  .object({
    email: EmailSchema.meta({ example: 'zoya.khan@mentors.example.com' }),
    password: PasswordSchema,
    role: z.enum(['mentor', 'admin']).meta({ example: 'mentor' }),
    mentor_id: z
      .number()
      .int()
      .positive()
      .optional()
      .meta({ description: 'Required for a mentor account', example: 2 }),
  })
  .meta({ id: 'CreateAccount', description: 'An admin creates a mentor’s or another admin’s account.' });

export const SessionTokenSchema = z
  .object({
    token: z.string().meta({
      description: 'Send as `Authorization: Bearer <token>`',
      example: 'mst_3q2Vh9kXc0bW7yT1nR4sL8aP5dE6fG2jK0mN3oQ9uZ',
    }),
    token_type: z.literal('Bearer').meta({ example: 'Bearer' }),
    expires_at: InstantSchema,
    account: AccountSchema,
  })
  .meta({ id: 'SessionToken', description: 'A bearer token, when it expires, and whose it is.' });

export const LogoutResultSchema = z
  .object({ revoked: z.literal(true).meta({ example: true }) })
  .meta({ id: 'LogoutResult', description: 'The token of the request no longer works.' });

export type Account = z.infer<typeof AccountSchema>;
