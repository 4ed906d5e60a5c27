import { z } from 'zod';
import { EDITABLE_ATTRIBUTES, USER_STATES, type EditableAttribute, type UserView } from './types';

/**
 * The user form's values and the bodies the directory takes, kept apart from the components so
 * that the conversions are tested on their own (user-body.spec.ts).
 */

/** The directory's rule for custom attribute names (CUSTOM_ATTRIBUTE_NAME in the directory contracts). */
const CUSTOM_ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

const text = (max: number) => z.string().max(max, `At most ${max} characters`);

/** The same limits as the directory's CreateUserBody/UpdateUserBody, so most mistakes show before a round trip. */
export const userFormSchema = z
  .object({
    username: z.string().min(1, 'Enter a username').max(256).regex(/^\S+$/, 'No spaces in a username'),
    email: z.email('Enter an email address').max(320),
    firstname: text(256),
    lastname: text(256),
    displayname: text(256),
    employeeIdentifier: text(256),
    jobTitle: text(256),
    department: text(256),
    costCenter: text(256),
    company: text(256),
    employeeType: text(256),
    location: text(256),
    phoneNumber: text(64),
    manager: text(256),
    state: z.enum(USER_STATES),
    password: z
      .string()
      .max(1024)
      .refine((v) => v === '' || v.length >= 8, 'At least 8 characters, or leave it empty'),
    custom: z
      .array(
        z.object({
          name: z.string().regex(CUSTOM_ATTRIBUTE_NAME, 'Starts with a letter; letters, digits, _ . - only (64 at most)'),
          value: text(2048),
        }),
      )
      .max(100, 'At most 100 custom attributes'),
  })
  .superRefine((values, ctx) => {
    const seen = new Set<string>();
    values.custom.forEach((attribute, index) => {
      if (seen.has(attribute.name)) ctx.addIssue({ code: 'custom', path: ['custom', index, 'name'], message: 'Already used above' });
      seen.add(attribute.name);
    });
  });
export type UserFormValues = z.infer<typeof userFormSchema>;

type OptionalAttribute = Exclude<EditableAttribute, 'username' | 'email'>;
const OPTIONAL = EDITABLE_ATTRIBUTES.filter((name): name is OptionalAttribute => name !== 'username' && name !== 'email');

export function toFormValues(user?: UserView, customNames: readonly string[] = []): UserFormValues {
  const values = Object.fromEntries(EDITABLE_ATTRIBUTES.map((name) => [name, user?.[name] ?? ''])) as Record<EditableAttribute, string>;
  const custom = user
    ? Object.entries(user.customAttributes).map(([name, value]) => ({ name, value }))
    : customNames.map((name) => ({ name, value: '' }));
  return { ...values, state: user?.state ?? 'ACTIVATED', password: '', custom };
}

function customAttributes(values: UserFormValues, keepEmpty: boolean): Record<string, string> {
  return Object.fromEntries(values.custom.filter((c) => keepEmpty || c.value !== '').map((c) => [c.name, c.value]));
}

/** POST /v1/users: empty optional fields are left out, and so are custom attributes left empty. */
export function toCreateBody(values: UserFormValues) {
  const optional = Object.fromEntries(OPTIONAL.filter((name) => values[name] !== '').map((name) => [name, values[name]])) as Partial<
    Record<OptionalAttribute, string>
  >;
  return {
    username: values.username,
    email: values.email,
    ...optional,
    state: values.state,
    ...(values.password ? { password: values.password } : {}),
    customAttributes: customAttributes(values, false),
  };
}

/**
 * PATCH /v1/users/{id}: an emptied field is cleared (null); the custom attributes are replaced as a
 * whole. The state has its own controls on the user's page (activate, suspend), so it is not sent.
 */
export function toPatchBody(values: UserFormValues) {
  const optional = Object.fromEntries(OPTIONAL.map((name) => [name, values[name] === '' ? null : values[name]])) as Record<
    OptionalAttribute,
    string | null
  >;
  return { username: values.username, email: values.email, ...optional, customAttributes: customAttributes(values, true) };
}

/**
 * The directory names a custom attribute's problem `customAttributes.<name>`; the form's field for
 * it is that row's value, `custom.<index>.value`. Other problems keep their field.
 */
export function placeCustomAttributeErrors(
  details: ReadonlyArray<{ field: string; message: string }>,
  values: Pick<UserFormValues, 'custom'>,
): Array<{ field: string; message: string }> {
  return details.map((problem) => {
    const match = /^customAttributes\.(.+)$/.exec(problem.field);
    const index = match ? values.custom.findIndex((c) => c.name === match[1]) : -1;
    return index >= 0 ? { ...problem, field: `custom.${index}.value` } : problem;
  });
}
