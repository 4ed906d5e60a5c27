import { Controller, useFieldArray, type Control, type UseFormSetError } from 'react-hook-form';
import { z } from 'zod';
import {
  Button,
  FormFieldGroup,
  FormFieldGroupHeader,
  FormGroup,
  FormSelect,
  FormSelectOption,
  Grid,
  GridItem,
} from '@patternfly/react-core';
import { MinusCircleIcon, PlusCircleIcon } from '@patternfly/react-icons';
import { ApiFailure } from '../../api/clients';
import { applyApiErrors } from '../../forms';
import { TextField } from '../common/TextField';
import { ATTRIBUTE_LABEL, EDITABLE_ATTRIBUTES, STATE_LABEL, USER_STATES, type EditableAttribute, type UserView } from './types';

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

const OPTIONAL = EDITABLE_ATTRIBUTES.filter((name) => name !== 'username' && name !== 'email');

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
  const optional = Object.fromEntries(OPTIONAL.filter((name) => values[name] !== '').map((name) => [name, values[name]]));
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
  const optional = Object.fromEntries(OPTIONAL.map((name) => [name, values[name] === '' ? null : values[name]]));
  return { username: values.username, email: values.email, ...optional, customAttributes: customAttributes(values, true) };
}

const FIELDS = [...EDITABLE_ATTRIBUTES, 'state', 'password', 'custom'];

/**
 * Places the directory's field errors beside their fields. The directory names a custom
 * attribute's problem `customAttributes.<name>`: it belongs beside that row's value.
 */
export function applyUserApiErrors(error: unknown, setError: UseFormSetError<UserFormValues>, values: UserFormValues): string {
  if (error instanceof ApiFailure && error.body.details) {
    const details = error.body.details.map((problem) => {
      const match = /^customAttributes\.(.+)$/.exec(problem.field);
      const index = match ? values.custom.findIndex((c) => c.name === match[1]) : -1;
      return index >= 0 ? { ...problem, field: `custom.${index}.value` } : problem;
    });
    return applyApiErrors(new ApiFailure({ ...error.body, details }), setError, FIELDS);
  }
  return applyApiErrors(error, setError, FIELDS);
}

/** Every standard attribute, the state, an optional password, and the custom attributes. */
export function UserFormFields({
  control,
  withPassword,
  withState,
  isDisabled,
}: {
  control: Control<UserFormValues>;
  withPassword: boolean;
  withState: boolean;
  isDisabled?: boolean;
}) {
  const custom = useFieldArray({ control, name: 'custom' });
  return (
    <>
      <Grid hasGutter md={6}>
        {EDITABLE_ATTRIBUTES.map((name) => (
          <GridItem key={name}>
            <TextField
              control={control}
              name={name}
              label={ATTRIBUTE_LABEL[name] ?? name}
              type={name === 'email' ? 'email' : name === 'phoneNumber' ? 'tel' : 'text'}
              isRequired={name === 'username' || name === 'email'}
              isDisabled={isDisabled}
              autoComplete="off"
            />
          </GridItem>
        ))}
        {withState && (
          <GridItem>
            <Controller
              control={control}
              name="state"
              render={({ field }) => (
                <FormGroup label="State" fieldId="user-state">
                  <FormSelect
                    id="user-state"
                    value={field.value}
                    onChange={(_event, value) => field.onChange(value)}
                    isDisabled={isDisabled}
                    aria-label="State"
                  >
                    {USER_STATES.map((state) => (
                      <FormSelectOption key={state} value={state} label={STATE_LABEL[state]} />
                    ))}
                  </FormSelect>
                </FormGroup>
              )}
            />
          </GridItem>
        )}
        {withPassword && (
          <GridItem>
            <TextField
              control={control}
              name="password"
              label="Password"
              type="password"
              autoComplete="new-password"
              hint="Optional: without one the person cannot sign in until a password is set"
            />
          </GridItem>
        )}
      </Grid>
      <FormFieldGroup
        header={
          <FormFieldGroupHeader
            titleText={{ text: 'Custom attributes', id: 'custom-attributes-title' }}
            titleDescription="Extra attributes an application's mapping can send (for example a profileID)."
            actions={
              isDisabled ? undefined : (
                <Button variant="secondary" icon={<PlusCircleIcon />} onClick={() => custom.append({ name: '', value: '' })}>
                  Add custom attribute
                </Button>
              )
            }
          />
        }
      >
        {custom.fields.map((row, index) => (
          <Grid hasGutter md={5} key={row.id}>
            <GridItem>
              <TextField
                control={control}
                name={`custom.${index}.name`}
                label={`Custom attribute ${index + 1} name`}
                isDisabled={isDisabled}
              />
            </GridItem>
            <GridItem>
              <TextField
                control={control}
                name={`custom.${index}.value`}
                label={`Custom attribute ${index + 1} value`}
                isDisabled={isDisabled}
              />
            </GridItem>
            {!isDisabled && (
              <GridItem md={2}>
                <Button
                  variant="plain"
                  aria-label={`Remove custom attribute ${index + 1}`}
                  icon={<MinusCircleIcon />}
                  onClick={() => custom.remove(index)}
                />
              </GridItem>
            )}
          </Grid>
        ))}
      </FormFieldGroup>
    </>
  );
}
