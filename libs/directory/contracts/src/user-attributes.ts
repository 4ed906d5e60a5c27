import { z } from 'zod';

/** Directory attribute names an application's mapping may use as a source. */
export const STANDARD_USER_ATTRIBUTES = [
  'id',
  'username',
  'email',
  'firstname',
  'lastname',
  'displayname',
  'employeeIdentifier',
  'jobTitle',
  'department',
  'costCenter',
  'company',
  'employeeType',
  'location',
  'phoneNumber',
  'manager',
] as const;
export type StandardUserAttribute = (typeof STANDARD_USER_ATTRIBUTES)[number];

export const USER_STATES = ['STAGED', 'ACTIVATED', 'SUSPENDED'] as const;
export type UserState = (typeof USER_STATES)[number];

export const CUSTOM_ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/** Everything the IdP and the catalog need to know about a user; never the password hash. */
export const UserProfile = z.object({
  username: z.string(),
  email: z.string(),
  firstname: z.string().nullable(),
  lastname: z.string().nullable(),
  displayname: z.string().nullable(),
  employeeIdentifier: z.string().nullable(),
  jobTitle: z.string().nullable(),
  department: z.string().nullable(),
  costCenter: z.string().nullable(),
  company: z.string().nullable(),
  employeeType: z.string().nullable(),
  location: z.string().nullable(),
  phoneNumber: z.string().nullable(),
  manager: z.string().nullable(),
  state: z.enum(USER_STATES),
  customAttributes: z.record(z.string(), z.string()),
});
export type UserProfile = z.infer<typeof UserProfile>;
