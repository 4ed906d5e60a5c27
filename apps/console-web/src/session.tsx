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
