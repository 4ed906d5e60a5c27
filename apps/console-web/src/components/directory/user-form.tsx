import { Controller, useFieldArray, type Control, type UseFormSetError } from 'react-hook-form';
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
import { ATTRIBUTE_LABEL, EDITABLE_ATTRIBUTES, STATE_LABEL, USER_STATES } from './types';
import { placeCustomAttributeErrors, type UserFormValues } from './user-body';

export { toCreateBody, toFormValues, toPatchBody, userFormSchema, type UserFormValues } from './user-body';

const FIELDS = [...EDITABLE_ATTRIBUTES, 'state', 'password', 'custom'];

/**
 * Places the directory's field errors beside their fields. The directory names a custom
 * attribute's problem `customAttributes.<name>`: it belongs beside that row's value.
 */
export function applyUserApiErrors(error: unknown, setError: UseFormSetError<UserFormValues>, values: UserFormValues): string {
  if (error instanceof ApiFailure && error.body.details) {
    const details = placeCustomAttributeErrors(error.body.details, values);
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
