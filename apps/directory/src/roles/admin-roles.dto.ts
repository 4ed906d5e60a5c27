import { z } from 'zod';
import { ADMIN_ROLES } from '@jit/directory-contracts';

/** PUT /v1/users/:id/admin-role: the one role the person holds from now on, or null for none. */
export const SetAdminRoleBody = z.strictObject({
  role: z
    .enum(ADMIN_ROLES, { message: `must be one of ${ADMIN_ROLES.join(', ')}, or null for no admin role` })
    .nullable()
    .describe('administrator: everything; help-desk: users, groups, memberships, unlock, password reset; read-only: sees, changes nothing'),
});
export type SetAdminRoleBody = z.infer<typeof SetAdminRoleBody>;
