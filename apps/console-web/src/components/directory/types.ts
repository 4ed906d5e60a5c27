/**
 * The shapes the services answer for the directory screens. The committed OpenAPI documents
 * describe the requests but not most answers (their 200s carry no schema yet), so the answers are
 * typed here, from the services' views (UsersService.toView, GroupsService, ApiKeysService,
 * UsersImportService, the catalog's application view).
 */

export const USER_STATES = ['STAGED', 'ACTIVATED', 'SUSPENDED'] as const;
export type UserState = (typeof USER_STATES)[number];

export const STATE_LABEL: Record<UserState, string> = { STAGED: 'Staged', ACTIVATED: 'Active', SUSPENDED: 'Suspended' };

export const ADMIN_ROLES = ['administrator', 'help-desk', 'read-only'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

export const ROLE_LABEL: Record<AdminRole, string> = { administrator: 'Administrator', 'help-desk': 'Help desk', 'read-only': 'Read-only' };

/** The standard attributes a person edits (the id is the directory's), in the order the forms show them. */
export const EDITABLE_ATTRIBUTES = [
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
export type EditableAttribute = (typeof EDITABLE_ATTRIBUTES)[number];

export const ATTRIBUTE_LABEL: Record<string, string> = {
  id: 'ID',
  username: 'Username',
  email: 'Email',
  firstname: 'First name',
  lastname: 'Last name',
  displayname: 'Display name',
  employeeIdentifier: 'Employee ID',
  jobTitle: 'Job title',
  department: 'Department',
  costCenter: 'Cost center',
  company: 'Company',
  employeeType: 'Employee type',
  location: 'Location',
  phoneNumber: 'Phone number',
  manager: 'Manager',
};

/** The column names the API sorts users by (`sort`, `-` for descending). */
export const USER_SORT_FIELDS = ['username', 'email', 'firstname', 'lastname', 'createdAt', 'updatedAt', 'state'] as const;
export type UserSortField = (typeof USER_SORT_FIELDS)[number];

export interface Page<T> {
  items: T[];
  total: number;
}

export interface UserView {
  id: string;
  organizationId: string;
  username: string;
  email: string;
  firstname: string | null;
  lastname: string | null;
  displayname: string | null;
  employeeIdentifier: string | null;
  jobTitle: string | null;
  department: string | null;
  costCenter: string | null;
  company: string | null;
  employeeType: string | null;
  location: string | null;
  phoneNumber: string | null;
  manager: string | null;
  state: UserState;
  adminRole: AdminRole | null;
  customAttributes: Record<string, string>;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface UserAttributes {
  standard: string[];
  custom: string[];
}

export interface GroupView {
  id: string;
  name: string;
  version: number;
  createdAt: string;
}

export interface ApiKeyView {
  id: string;
  name: string;
  createdAt: string;
  revokedAt: string | null;
  bootstrap: boolean;
}

/** POST /v1/api-keys: the only time the key itself is shown. */
export interface CreatedApiKey {
  id: string;
  name: string;
  apiKey: string;
  createdAt: string;
}

/** POST /v1/users/import: one line per data row (1-based, the header not counted). */
export interface ImportResult {
  created: number;
  failed: number;
  rows: Array<{ row: number; status: 'created' | 'failed'; id?: string; errors?: Array<{ field: string; message: string }> }>;
}

/** The catalog's application as the group's Applications panel and the bind picker show it. */
export interface ApplicationSummary {
  id: string;
  name: string;
  connectorId: string;
  supportedFunctionality: string[];
  active?: boolean;
}
