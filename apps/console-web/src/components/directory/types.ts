/**
 * The shapes the services answer for the directory screens, under the names the screens use: each
 * is the schema the service documents in its OpenAPI document (generated into api/*.ts).
 */
import type { CatalogSchemas, DirectorySchemas } from '../../api/clients';

// The lists below name what the directory's document names: `satisfies` fails the build when the
// directory drops or renames one (the document is generated from its code).
type DocumentedUser = DirectorySchemas['UserView'];
export type UserState = DocumentedUser['state'];
export const USER_STATES = ['STAGED', 'ACTIVATED', 'SUSPENDED'] as const satisfies readonly UserState[];

export const STATE_LABEL: Record<UserState, string> = { STAGED: 'Staged', ACTIVATED: 'Active', SUSPENDED: 'Suspended' };
export const STATE_COLOR = { ACTIVATED: 'green', SUSPENDED: 'orange', STAGED: 'grey' } as const satisfies Record<UserState, string>;

export type AdminRole = NonNullable<DocumentedUser['adminRole']>;
export const ADMIN_ROLES = ['administrator', 'help-desk', 'read-only'] as const satisfies readonly AdminRole[];

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
] as const satisfies readonly (keyof DocumentedUser)[];
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

export type UserView = DirectorySchemas['UserView'];

export type UserAttributes = DirectorySchemas['UserAttributeNames'];

export type GroupView = DirectorySchemas['GroupView'];

export type ApiKeyView = DirectorySchemas['ApiKeyView'];

/** POST /v1/api-keys: the only time the key itself is shown. */
export type CreatedApiKey = DirectorySchemas['CreatedApiKey'];

/** POST /v1/users/import: one line per data row (1-based, the header not counted). */
export type ImportResult = DirectorySchemas['ImportResult'];

/** The catalog's application as the group's Applications panel and the bind picker show it. */
export type ApplicationSummary = Pick<CatalogSchemas['ApplicationListItem'], 'id' | 'name' | 'connectorId' | 'supportedFunctionality'> & {
  active?: boolean;
};
