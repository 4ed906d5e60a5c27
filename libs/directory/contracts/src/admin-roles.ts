/**
 * The admin role a person may hold in their organisation (at most one; none for an ordinary
 * person). API keys are machines and keep every right; these roles are for people:
 * - `administrator`: everything;
 * - `help-desk`: users, groups, memberships, unlocking and password resets; not applications,
 *   signing keys, API keys, roles or the organisation's settings (its sign-in page);
 * - `read-only`: sees what an administrator sees, changes nothing.
 */
export const ADMIN_ROLES = ['administrator', 'help-desk', 'read-only'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

/**
 * What an admin may do. Each service's guard checks the permission a route declares against the
 * caller's role, so a button the console hides is refused by the API all the same.
 */
export const ADMIN_PERMISSIONS = [
  'read',
  'users:write',
  'groups:write',
  'credentials:manage',
  'applications:write',
  'signing-keys:manage',
  'api-keys:manage',
  'roles:manage',
  'settings:manage',
] as const;
export type AdminPermission = (typeof ADMIN_PERMISSIONS)[number];

export const ROLE_PERMISSIONS: Record<AdminRole, readonly AdminPermission[]> = {
  administrator: ADMIN_PERMISSIONS,
  'help-desk': ['read', 'users:write', 'groups:write', 'credentials:manage'],
  'read-only': ['read'],
};

/**
 * What the services' guard needs of a person's role (Caller.grants of @jit/service): their
 * permissions, and whether these are all of them (a route that declares no permission and
 * changes something is for those only).
 */
export function grantsOf(role: AdminRole): { permissions: readonly AdminPermission[]; all: boolean } {
  const permissions = ROLE_PERMISSIONS[role];
  return { permissions, all: ADMIN_PERMISSIONS.every((p) => permissions.includes(p)) };
}
