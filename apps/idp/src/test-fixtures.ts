// Test helpers only (specs): an application as the catalog's snapshot describes it.
import type { z } from 'zod';
import { ApplicationSnapshot, NAMEID } from '@jit/catalog-contracts';
import type { UserProfile } from '@jit/directory-contracts';

export const TEST_SP = 'https://wiki.example.com';

/** A generic SAML 2.0 application at TEST_SP (email NameID, both signatures), with `over` applied. */
export function testApplicationSnapshot(over: Partial<z.input<typeof ApplicationSnapshot>> = {}): ApplicationSnapshot {
  return ApplicationSnapshot.parse({
    name: 'Wiki',
    connectorId: 'saml2',
    spEntityId: TEST_SP,
    acsUrls: [`${TEST_SP}/acs`],
    nameIdFormat: NAMEID.email,
    nameIdSource: 'email',
    signAssertion: true,
    signResponse: true,
    active: true,
    attributes: [],
    ...over,
  });
}

/** Ada, active, as the directory's events describe her, with `over` applied. */
export function testProfile(over: Partial<UserProfile> = {}): UserProfile {
  return {
    username: 'ada',
    email: 'ada@example.com',
    firstname: 'Ada',
    lastname: 'Lovelace',
    displayname: null,
    employeeIdentifier: null,
    jobTitle: null,
    department: 'R&D',
    costCenter: null,
    company: null,
    employeeType: null,
    location: null,
    phoneNumber: null,
    manager: null,
    state: 'ACTIVATED',
    customAttributes: {},
    ...over,
  };
}
