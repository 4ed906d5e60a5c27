import { createContext, useContext, type ReactNode } from 'react';
import type { ConsoleSchemas } from './api/clients';

/** The signed-in admin, as GET /api/me answers (console.openapi.json). */
export type Me = ConsoleSchemas['MeView'];

export type Permission = Me['permissions'][number];

const MeContext = createContext<Me | null>(null);

export function MeProvider({ me, children }: { me: Me; children: ReactNode }) {
  return <MeContext.Provider value={me}>{children}</MeContext.Provider>;
}

export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error('useMe outside MeProvider');
  return me;
}

/**
 * Whether the signed-in admin may do this. The services enforce the same rule (403); the console
 * asks so that it never offers a control the API would refuse.
 */
export function useCan(permission: Permission): boolean {
  return useMe().permissions.includes(permission);
}

/**
 * Whether the signed-in admin may use `permission` on this person's account. An account that holds
 * an admin role is changed (edited, suspended, deleted, its password, lockout or second factor) only
 * by someone who may change roles: the directory and the IdP answer 403 to anyone else.
 */
export function useCanOnAccount(permission: Permission, account: { adminRole: string | null }): boolean {
  const can = useCan(permission);
  const canRoles = useCan('roles:manage');
  return can && (canRoles || account.adminRole === null);
}

// Every permission the console's document names: `satisfies` fails the build when one is dropped
// or renamed, and `Unlisted` when one is added and not listed here.
const ALL_PERMISSIONS = [
  'read',
  'users:write',
  'groups:write',
  'credentials:manage',
  'applications:write',
  'signing-keys:manage',
  'api-keys:manage',
  'roles:manage',
  'settings:manage',
] as const satisfies readonly Permission[];
type Unlisted = Exclude<Permission, (typeof ALL_PERMISSIONS)[number]>;
const everyPermissionListed: [Unlisted] extends [never] ? true : never = true;

/**
 * Whether the signed-in admin holds every permission: what a change whose route declares none
 * needs at the services (the organisation's MFA policy, say), so only an administrator is offered it.
 */
export function useCanEverything(): boolean {
  const { permissions } = useMe();
  return everyPermissionListed && ALL_PERMISSIONS.every((permission) => permissions.includes(permission));
}
