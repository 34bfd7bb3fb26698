import { z } from 'zod';
import { USERNAME, USERNAME_RULE } from '#config';
import { USER_ROLES } from './role.js';

/** What the auth routes accept: validated here, and documented in OpenAPI from these same schemas. */
const password = (min: number) =>
  z
    .string({ message: 'must be a string' })
    .min(min, min > 1 ? `must be at least ${min} characters` : 'is required')
    .max(1024, 'must be at most 1024 characters');
const role = z.enum(USER_ROLES, { message: `must be one of ${USER_ROLES.join(', ')}` });

export const LoginRequest = z.strictObject({
  username: z.string({ message: 'must be a string' }).min(1, 'is required').max(64, 'must be at most 64 characters').meta({ example: 'admin' }),
  password: password(1).meta({ example: 'change-me' }),
});
export type LoginRequest = z.infer<typeof LoginRequest>;

export const ChangePasswordRequest = z.strictObject({ current_password: password(1), new_password: password(8) });
export type ChangePasswordRequest = z.infer<typeof ChangePasswordRequest>;

export const CreateUserRequest = z.strictObject({
  username: z.string({ message: 'must be a string' }).regex(USERNAME, `must be ${USERNAME_RULE}`).meta({ example: 'operator1' }),
  password: password(8),
  role,
});
export type CreateUserRequest = z.infer<typeof CreateUserRequest>;

/** Absent fields stay as they are; null is not a value of either. */
export const UpdateUserRequest = z.strictObject({
  role: role.optional(),
  password: password(8).optional().describe('a new password; tokens issued before it stop working'),
});
export type UpdateUserRequest = z.infer<typeof UpdateUserRequest>;

export const CreateApiTokenRequest = z.strictObject({
  name: z.string({ message: 'must be a string' }).min(1, 'is required').max(100, 'must be at most 100 characters').meta({ example: 'playout-automation' }),
});
export type CreateApiTokenRequest = z.infer<typeof CreateApiTokenRequest>;
