import { z } from 'zod';
import { IdAnswerSchema } from '../answer-primitives.js';
import { IdParamSchema, IdSchema, InstantSchema, MAX_ID, TimeZoneSchema, textSchema } from '../primitives.js';
import { commonPasswords } from './common-passwords.js';

export const roles = ['student', 'mentor', 'admin'] as const;
export const RoleSchema = z
  .enum(roles)
  .meta({ id: 'Role', description: 'What an account may do', example: 'student' });
export type Role = (typeof roles)[number];

const EmailSchema = z.email().max(254).meta({ example: 'aarav.sharma@example.com' });
/** Password rules: the one place REST, tRPC and the OpenAPI document take them from. */
export const passwordRules =
  'At least 10 characters; not only spaces; no control characters (tabs, line breaks); not one of the most common passwords, nor a few characters repeated';

/** The same text, compared as lists of leaked passwords hold it: lower case, without spaces. */
function guessableForm(password: string): string {
  return password.toLowerCase().replace(/\s+/g, '');
}

/** `aaaaaaaaaa`, `ababababab`, `abcabcabcabc`: a unit of up to three characters, repeated. */
const repeatedUnit = /^(.{1,3})\1+$/su;

const PasswordSchema = z
  .string()
  .min(10, 'Use at least 10 characters')
  .max(200)
  .refine((password) => password.trim() !== '', {
    message: 'The password cannot be only spaces',
    abort: true,
  })
  .refine((password) => !/\p{Cc}/u.test(password), {
    message: 'The password cannot contain control characters (tabs, line breaks and the like)',
    abort: true,
  })
  .refine((password) => !commonPasswords.has(guessableForm(password)), {
    message: 'This password is among the most common ones, which are guessed first; choose another',
    abort: true,
  })
  .refine((password) => !repeatedUnit.test(guessableForm(password)), {
    message: 'This password repeats a few characters and is guessed at once; choose another',
  })
  .meta({ description: passwordRules, example: 'chai at the ghat, 6 am' });

export const RegisterSchema = z
  .object({
    name: textSchema({ max: 120 }).meta({ example: 'Ira Bhat' }),
    email: EmailSchema.meta({ example: 'ira.bhat@example.com' }),
    password: PasswordSchema,
    area_of_interest: textSchema({ max: 120 }).nullable().optional().meta({ example: 'Consulting' }),
    timezone: TimeZoneSchema.optional().meta({ description: 'Defaults to the platform zone' }),
  })
  .meta({ id: 'Register', description: 'A student creates their own account.' });

export const LoginSchema = z
  .object({ email: EmailSchema, password: z.string().min(1).max(200).meta({ example: 'demo-password' }) })
  .meta({ id: 'Login', description: 'An account’s email and password.' });

export const AccountSchema = z
  .object({
    id: z.number().int().min(0).max(MAX_ID).meta({
      description: 'The account’s id; 0 for the operator token (`ADMIN_TOKEN`), which is no stored account',
      example: 3,
    }),
    email: z.string().meta({ example: 'aarav.sharma@example.com' }),
    role: RoleSchema,
    student_id: IdAnswerSchema.nullable().meta({
      description: 'The student this account is, for students',
      example: 1,
    }),
    mentor_id: IdAnswerSchema.nullable().meta({
      description: 'The mentor this account is, for mentors',
      example: null,
    }),
    created_at: InstantSchema,
  })
  .meta({ id: 'Account', description: 'A login of a student, a mentor or an admin.' });

export const CreateAccountSchema = z
  .object({
    email: EmailSchema.meta({ example: 'zoya.khan@mentors.example.com' }),
    password: PasswordSchema,
    role: z.enum(['mentor', 'admin']).meta({ example: 'mentor' }),
    mentor_id: IdSchema.optional().meta({ description: 'Required for a mentor account', example: 2 }),
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

export const ChangePasswordSchema = z
  .object({
    current_password: z.string().min(1).max(200).meta({ example: 'demo-password' }),
    new_password: PasswordSchema.meta({ example: 'a brand new passphrase' }),
  })
  .refine((input) => input.new_password !== input.current_password, {
    message: 'The new password is the current one',
    path: ['new_password'],
  })
  .meta({
    id: 'ChangePassword',
    description: `The current password and the new one. New password: ${passwordRules}.`,
  });

export const AccountIdParamsSchema = z.object({ id: IdParamSchema });

export const TokensRevokedSchema = z
  .object({
    tokens_revoked: z
      .number()
      .int()
      .min(0)
      .meta({ description: 'How many tokens that still worked stopped working', example: 2 }),
  })
  .meta({ id: 'TokensRevoked', description: 'Tokens of the account that no longer work.' });

export type Account = z.infer<typeof AccountSchema>;
