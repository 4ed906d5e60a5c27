/**
 * The admin role a person may hold in their organisation (at most one; none for an ordinary
 * person). API keys are machines and keep every right; these roles are for people:
 * - `administrator`: everything;
 * - `help-desk`: users, groups, memberships, unlocking and password resets; not applications,
 *   signing keys, API keys or roles;
 * - `read-only`: sees what an administrator sees, changes nothing.
 */
export const ADMIN_ROLES = ['administrator', 'help-desk', 'read-only'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];
