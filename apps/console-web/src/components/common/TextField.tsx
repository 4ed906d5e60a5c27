import { useId } from 'react';
import { Controller, type Control, type FieldValues, type Path } from 'react-hook-form';
import { FormGroup, FormHelperText, HelperText, HelperTextItem, TextInput } from '@patternfly/react-core';

/**
 * A labelled text input bound to react-hook-form, its error (the form's or the API's, placed by
 * applyApiErrors) shown under it and tied to it with aria-describedby.
 */
export function TextField<T extends FieldValues>({
  control,
  name,
  label,
  type = 'text',
  isRequired,
  isDisabled,
  hint,
  autoComplete,
}: {
  control: Control<T>;
  name: Path<T>;
  label: string;
  type?: 'text' | 'email' | 'password' | 'tel' | 'datetime-local';
  isRequired?: boolean;
  isDisabled?: boolean;
  hint?: string;
  autoComplete?: string;
}) {
  const id = useId();
  const helpId = `${id}-help`;
  return (
    <Controller
      control={control}
      name={name}
      render={({ field, fieldState }) => (
        <FormGroup label={label} fieldId={id} isRequired={isRequired}>
          <TextInput
            id={id}
            name={field.name}
            type={type}
            value={typeof field.value === 'string' ? field.value : ''}
            onChange={(_event, value) => field.onChange(value)}
            onBlur={field.onBlur}
            isDisabled={isDisabled}
            isRequired={isRequired}
            autoComplete={autoComplete}
            validated={fieldState.error ? 'error' : 'default'}
            aria-invalid={fieldState.error ? true : undefined}
            aria-describedby={fieldState.error || hint ? helpId : undefined}
          />
          {(fieldState.error || hint) && (
            <FormHelperText>
              <HelperText id={helpId}>
                <HelperTextItem variant={fieldState.error ? 'error' : 'default'}>{fieldState.error?.message ?? hint}</HelperTextItem>
              </HelperText>
            </FormHelperText>
          )}
        </FormGroup>
      )}
    />
  );
}
