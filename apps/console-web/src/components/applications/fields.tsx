import { type ReactNode } from 'react';
import { Controller, type Control, type FieldErrors, type FieldValues, type Path } from 'react-hook-form';
import {
  FormGroup,
  FormHelperText,
  FormSelect,
  FormSelectOption,
  HelperText,
  HelperTextItem,
  TextArea,
  TextInput,
} from '@patternfly/react-core';

/**
 * The message for a field, wherever the error sits: the catalog names `acsUrls.0` where the form
 * holds `acsUrls.0.url`, and a whole row (`attributes.2`) as well as its fields.
 */
export function errorAt(errors: FieldErrors, path: string): string | undefined {
  let node: unknown = errors;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return firstMessage(node);
}

function firstMessage(node: unknown, depth = 0): string | undefined {
  if (node === null || typeof node !== 'object' || depth > 3) return undefined;
  const record = node as Record<string, unknown>;
  if (typeof record.message === 'string' && record.message !== '') return record.message;
  if (record.root) {
    const root = firstMessage(record.root, depth + 1);
    if (root) return root;
  }
  return undefined;
}

/** The message of a field or of anything under it (for a whole row's or a whole list's summary). */
export function anyErrorUnder(errors: FieldErrors, path: string): string | undefined {
  let node: unknown = errors;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  const walk = (n: unknown, depth: number): string | undefined => {
    if (n === null || typeof n !== 'object' || depth > 4) return undefined;
    const record = n as Record<string, unknown>;
    if (typeof record.message === 'string' && record.message !== '') return record.message;
    for (const [key, value] of Object.entries(record)) {
      if (key === 'ref') continue;
      const found = walk(value, depth + 1);
      if (found) return found;
    }
    return undefined;
  };
  return walk(node, 0);
}

export function FieldHelp({ error, helper, id }: { error?: string; helper?: ReactNode; id?: string }) {
  if (!error && !helper) return null;
  return (
    <FormHelperText>
      <HelperText id={id}>
        {error ? <HelperTextItem variant="error">{error}</HelperTextItem> : <HelperTextItem>{helper}</HelperTextItem>}
      </HelperText>
    </FormHelperText>
  );
}

interface FieldProps<T extends FieldValues> {
  control: Control<T>;
  errors: FieldErrors<T>;
  name: Path<T>;
  label: string;
  helper?: ReactNode;
  isRequired?: boolean;
  isDisabled?: boolean;
  placeholder?: string;
  type?: 'text' | 'url';
}

/** A labelled text input bound to the form, its error (the form's check or the service's) under it. */
export function TextField<T extends FieldValues>({
  control,
  errors,
  name,
  label,
  helper,
  isRequired,
  isDisabled,
  placeholder,
  type,
}: FieldProps<T>) {
  const id = `field-${name.replace(/\./g, '-')}`;
  const error = errorAt(errors, name);
  return (
    <FormGroup label={label} fieldId={id} isRequired={isRequired}>
      <Controller
        control={control}
        name={name}
        render={({ field }) => (
          <TextInput
            id={id}
            name={name}
            type={type ?? 'text'}
            value={field.value ?? ''}
            onChange={(_event, value) => field.onChange(value)}
            onBlur={field.onBlur}
            ref={field.ref}
            isRequired={isRequired}
            isDisabled={isDisabled}
            placeholder={placeholder}
            validated={error ? 'error' : 'default'}
            aria-describedby={`${id}-help`}
          />
        )}
      />
      <FieldHelp error={error} helper={helper} id={`${id}-help`} />
    </FormGroup>
  );
}

export function TextAreaField<T extends FieldValues>({
  control,
  errors,
  name,
  label,
  helper,
  isRequired,
  placeholder,
  rows = 4,
}: FieldProps<T> & { rows?: number }) {
  const id = `field-${name.replace(/\./g, '-')}`;
  const error = anyErrorUnder(errors, name);
  return (
    <FormGroup label={label} fieldId={id} isRequired={isRequired}>
      <Controller
        control={control}
        name={name}
        render={({ field }) => (
          <TextArea
            id={id}
            name={name}
            value={field.value ?? ''}
            onChange={(_event, value) => field.onChange(value)}
            onBlur={field.onBlur}
            rows={rows}
            resizeOrientation="vertical"
            placeholder={placeholder}
            validated={error ? 'error' : 'default'}
            aria-describedby={`${id}-help`}
            className="console-mono"
          />
        )}
      />
      <FieldHelp error={error} helper={helper} id={`${id}-help`} />
    </FormGroup>
  );
}

export function SelectField<T extends FieldValues>({
  control,
  errors,
  name,
  label,
  helper,
  isRequired,
  options,
}: FieldProps<T> & { options: ReadonlyArray<{ value: string; label: string }> }) {
  const id = `field-${name.replace(/\./g, '-')}`;
  const error = errorAt(errors, name);
  return (
    <FormGroup label={label} fieldId={id} isRequired={isRequired}>
      <Controller
        control={control}
        name={name}
        render={({ field }) => (
          <FormSelect
            id={id}
            name={name}
            value={field.value ?? ''}
            onChange={(_event, value) => field.onChange(value)}
            onBlur={field.onBlur}
            validated={error ? 'error' : 'default'}
            aria-describedby={`${id}-help`}
          >
            {options.map((o) => (
              <FormSelectOption key={o.value} value={o.value} label={o.label} />
            ))}
          </FormSelect>
        )}
      />
      <FieldHelp error={error} helper={helper} id={`${id}-help`} />
    </FormGroup>
  );
}
