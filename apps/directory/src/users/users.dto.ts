import { z } from 'zod';
import { ListQuery } from '@jit/service';
import {
  ADMIN_ROLES,
  CUSTOM_ATTRIBUTE_NAME,
  STANDARD_USER_ATTRIBUTES,
  USER_STATES,
  type AdminRole,
  type StandardUserAttribute,
  type UserState,
} from '@jit/directory-contracts';

const text = (max = 256) => z.string().trim().min(1).max(max);
const optionalText = (max = 256) => z.string().trim().max(max).nullable().optional();
const password = () => z.string().min(8, 'at least 8 characters').max(1024, 'at most 1024 characters');

export const CUSTOM_NAME_RULE = 'custom attribute names start with a letter; letters, digits, _ . - only';

const profileFields = {
  firstname: optionalText(),
  lastname: optionalText(),
  displayname: optionalText(),
  employeeIdentifier: optionalText(),
  jobTitle: optionalText(),
  department: optionalText(),
  costCenter: optionalText(),
  company: optionalText(),
  employeeType: optionalText(),
  location: optionalText(),
  phoneNumber: optionalText(64),
  manager: optionalText(),
  state: z.enum(USER_STATES).optional(),
  customAttributes: z
    .record(z.string().regex(CUSTOM_ATTRIBUTE_NAME, CUSTOM_NAME_RULE), z.string().max(2048))
    .refine((r) => Object.keys(r).length <= 100, 'at most 100 custom attributes')
    .optional(),
};

export const CreateUserBody = z.strictObject({
  username: text().regex(/^[^\s]+$/, 'no white space'),
  email: z.email().max(320),
  password: password().optional(),
  ...profileFields,
});
export type CreateUserBody = z.infer<typeof CreateUserBody>;

export const UpdateUserBody = z
  .strictObject({
    username: text()
      .regex(/^[^\s]+$/, 'no white space')
      .optional(),
    email: z.email().max(320).optional(),
    password: password().optional(),
    ...profileFields,
  })
  // Only for a body with nothing else wrong: `{"foo": 1}` is an unknown field, not an empty change.
  .refine((b) => Object.keys(b).length > 0, {
    message: 'send at least one field to change',
    when: (payload) => payload.issues.length === 0,
  });
export type UpdateUserBody = z.infer<typeof UpdateUserBody>;

/** PUT /v1/users/:id/password: an administrator sets or resets the password. */
export const SetPasswordBody = z.strictObject({ password: password() });
export type SetPasswordBody = z.infer<typeof SetPasswordBody>;

/** POST /v1/users/:id/password/change: allowed only with the current password. */
export const ChangePasswordBody = z.strictObject({
  // Not held to today's length rule: a password set under older rules must still be changeable.
  currentPassword: z.string().min(1).max(1024),
  newPassword: password(),
});

/** The rule every new password meets, also for a change asked over NATS (DirectoryRpc.changePassword). */
export const NewPassword = password();
export type ChangePasswordBody = z.infer<typeof ChangePasswordBody>;

export const USER_SORT_FIELDS = ['username', 'email', 'firstname', 'lastname', 'createdAt', 'updatedAt', 'state'] as const;
export type UserSortField = (typeof USER_SORT_FIELDS)[number];

export interface UserListQuery extends ListQuery {
  /** null: the default order (createdAt, then id). */
  sort: { field: UserSortField; descending: boolean } | null;
  state?: UserState;
  /** One role; `any`: holders of any admin role; `none`: ordinary people. */
  adminRole?: AdminRole | 'any' | 'none';
  /** Active members of this group only. */
  group?: string;
  /** Free text, as words: each word begins the username, the email, the first or the last name (ignoring case). */
  search: string[];
  /** Exact values; username and email ignore case (as their uniqueness does). */
  attributes: Partial<Record<StandardUserAttribute, string>>;
  custom: Record<string, string>;
}

const CUSTOM_PREFIX = 'custom.';
const filterValue = z.string().min(1, 'must not be empty; leave the parameter out to not filter').max(2048);
const uuidFilter = z.uuid({ message: 'must be a UUID' });

export const MAX_SEARCH_WORDS = 8;
const searchText = z
  .string()
  .max(200, 'at most 200 characters')
  .transform((text) => text.split(/\s+/).filter((word) => word !== ''))
  .refine((words) => words.length > 0, 'type at least one word; leave the parameter out to not search')
  .refine((words) => words.length <= MAX_SEARCH_WORDS, `at most ${MAX_SEARCH_WORDS} words`);

const attributeFilters = Object.fromEntries(
  STANDARD_USER_ATTRIBUTES.map((name) => [name, (name === 'id' ? uuidFilter : filterValue).optional()]),
) as Record<StandardUserAttribute, z.ZodOptional<z.ZodString>>;

const knownQuery = z.strictObject({
  limit: ListQuery.shape.limit,
  offset: ListQuery.shape.offset,
  sort: z
    .enum([...USER_SORT_FIELDS, ...USER_SORT_FIELDS.map((f) => `-${f}` as const)], {
      message: `must be one of ${USER_SORT_FIELDS.join(', ')}, with a leading - for descending order`,
    })
    .optional(),
  state: z.enum(USER_STATES, { message: `must be one of ${USER_STATES.join(', ')}` }).optional(),
  adminRole: z
    .enum([...ADMIN_ROLES, 'any', 'none'], {
      message: `must be one of ${ADMIN_ROLES.join(', ')}, any (every admin role) or none (no admin role)`,
    })
    .optional(),
  group: uuidFilter.optional(),
  search: searchText.optional().meta({
    description:
      'Words separated by spaces; each must begin the username, email, first name or last name (ignoring case): "ada lov" finds Ada Lovelace',
  }),
  ...attributeFilters,
});

/** What GET /v1/users accepts, for its OpenAPI description: the known names, and custom.<name> filters. */
export const UserListQueryDocumented = knownQuery.catchall(filterValue);

export const ALLOWED_USER_QUERY_NAMES = [...Object.keys(knownQuery.shape), `${CUSTOM_PREFIX}<name>`];

/**
 * `GET /v1/users` query. Every problem is reported at once, unknown names included: a typo in a
 * filter must not silently widen the list the caller is about to act on.
 */
export const UserListQuery = z.record(z.string(), z.unknown()).transform((raw, ctx): UserListQuery => {
  const known: Record<string, unknown> = {};
  const custom: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (Object.hasOwn(knownQuery.shape, key)) {
      known[key] = value;
    } else if (key.startsWith(CUSTOM_PREFIX)) {
      const name = key.slice(CUSTOM_PREFIX.length);
      const checked = filterValue.safeParse(value);
      if (!CUSTOM_ATTRIBUTE_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [key], message: CUSTOM_NAME_RULE });
      else if (!checked.success) checked.error.issues.forEach((i) => ctx.addIssue({ code: 'custom', path: [key], message: i.message }));
      else custom[name] = checked.data;
    } else {
      ctx.addIssue({ code: 'custom', path: [key], message: `unknown query parameter; allowed: ${ALLOWED_USER_QUERY_NAMES.join(', ')}` });
    }
  }
  const parsed = knownQuery.safeParse(known);
  if (!parsed.success) {
    parsed.error.issues.forEach((i) => ctx.addIssue({ code: 'custom', path: i.path, message: i.message }));
    return z.NEVER;
  }
  const { limit, offset, sort, state, adminRole, group, search, ...attributes } = parsed.data;
  return {
    limit,
    offset,
    sort: sort ? { field: sort.replace(/^-/, '') as UserSortField, descending: sort.startsWith('-') } : null,
    state,
    adminRole,
    group,
    search: search ?? [],
    attributes: Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== undefined)),
    custom,
  };
});
