import type { StandardUserAttribute, UserProfile } from '@jit/directory-contracts';

/** How the account page names each directory attribute; typed against the list, so a new one must be named here. */
const LABELS: Record<Exclude<StandardUserAttribute, 'id'>, string> = {
  displayname: 'Name',
  firstname: 'First name',
  lastname: 'Last name',
  username: 'Username',
  email: 'Email',
  employeeIdentifier: 'Employee number',
  jobTitle: 'Job title',
  department: 'Department',
  costCenter: 'Cost centre',
  company: 'Company',
  employeeType: 'Employee type',
  location: 'Location',
  phoneNumber: 'Phone',
  manager: 'Manager',
};

/** The profile rows the account page shows: each attribute the read model holds a value for, in LABELS' order. */
export function profileRows(profile: UserProfile | null): [string, string][] {
  if (!profile) return [];
  const rows: [string, string][] = [];
  for (const [key, label] of Object.entries(LABELS) as [keyof typeof LABELS, string][]) {
    const value = profile[key];
    if (value) rows.push([label, value]);
  }
  return rows;
}
