import { Controller, useFieldArray, type Control, type FieldErrors, type UseFormWatch } from 'react-hook-form';
import {
  Alert,
  Button,
  Checkbox,
  Content,
  Flex,
  FlexItem,
  FormSelect,
  FormSelectOption,
  Label,
  Switch,
  TextInput,
  Tooltip,
} from '@patternfly/react-core';
import { Caption, Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import LockIcon from '@patternfly/react-icons/dist/esm/icons/lock-icon';
import TrashIcon from '@patternfly/react-icons/dist/esm/icons/trash-icon';
import PlusCircleIcon from '@patternfly/react-icons/dist/esm/icons/plus-circle-icon';
import type { ApplicationFormValues } from './form-model';
import { FieldHelp, errorAt } from './fields';

/** A directory attribute as a mapping names it: standard names as they are, custom ones `custom:<name>`. */
export interface SourceOption {
  value: string;
  label: string;
}

export function sourceOptions(attributes: { standard: string[]; custom: string[] } | undefined): SourceOption[] {
  return [
    ...(attributes?.standard ?? []).map((name) => ({ value: name, label: name })),
    ...(attributes?.custom ?? []).map((name) => ({ value: `custom:${name}`, label: `${name} (custom)` })),
  ];
}

/**
 * The user attributes sent in the assertion. A pre-built connector's rows come pre-filled and on;
 * their SP name is the one the SP expects and stays locked, while the directory attribute or
 * constant can change and the toggle opts out of sending it. Rows added here (the generic SAML 2.0
 * connector's way) take any SP name and one of the directory's attribute names.
 */
export function AttributesTable({
  control,
  errors,
  watch,
  sources,
  canAdd,
}: {
  control: Control<ApplicationFormValues>;
  errors: FieldErrors<ApplicationFormValues>;
  watch: UseFormWatch<ApplicationFormValues>;
  sources: SourceOption[];
  canAdd: boolean;
}) {
  const { fields, append, remove } = useFieldArray({ control, name: 'attributes' });
  const rows = watch('attributes');
  const listError = errorAt(errors, 'attributes');

  return (
    <>
      {listError && <Alert component="h3" isInline isPlain variant="danger" title={listError} />}
      <Table aria-label="User attributes" variant="compact" gridBreakPoint="grid-lg" data-testid="attributes-table">
        <Caption>
          User attributes sent in the SAML assertion. JIT-required attributes are what the SP needs to create the account at first sign-in.
        </Caption>
        <Thead>
          <Tr>
            <Th width={25}>Service Provider Attribute Name</Th>
            <Th width={40}>Value</Th>
            <Th width={15}>JIT</Th>
            <Th width={10}>Send</Th>
            <Th screenReaderText="Remove" />
          </Tr>
        </Thead>
        <Tbody>
          {fields.map((field, index) => {
            const row = rows[index] ?? field;
            const label = row.spName || `row ${index + 1}`;
            const rowError = errors.attributes?.[index]?.message ?? errors.attributes?.[index]?.root?.message;
            const nameError = errorAt(errors, `attributes.${index}.spName`) ?? errorAt(errors, `attributes.${index}.renameTo`);
            const valueError = errorAt(errors, `attributes.${index}.source`) ?? errorAt(errors, `attributes.${index}.constant`);
            const otherError =
              errorAt(errors, `attributes.${index}.enabled`) ??
              errorAt(errors, `attributes.${index}.required`) ??
              errorAt(errors, `attributes.${index}.remove`) ??
              errorAt(errors, `attributes.${index}.multiValued`) ??
              rowError;
            const knownSource = sources.some((s) => s.value === row.source);
            return (
              <Tr key={field.id} data-testid={`attribute-row-${row.spName}`}>
                <Td dataLabel="Service Provider Attribute Name">
                  {row.locked ? (
                    <Flex gap={{ default: 'gapSm' }} alignItems={{ default: 'alignItemsCenter' }}>
                      <FlexItem>
                        <Tooltip content="The name this SP expects: fixed by the connector">
                          <span tabIndex={0} role="img" aria-label="Fixed by the connector">
                            <LockIcon />
                          </span>
                        </Tooltip>
                      </FlexItem>
                      <FlexItem>
                        <span className="console-break" data-testid="locked-sp-name">
                          {row.spName}
                        </span>
                      </FlexItem>
                    </Flex>
                  ) : (
                    <Controller
                      control={control}
                      name={`attributes.${index}.spName`}
                      render={({ field: input }) => (
                        <TextInput
                          aria-label={`Service Provider Attribute Name, row ${index + 1}`}
                          value={input.value}
                          onChange={(_event, value) => input.onChange(value)}
                          onBlur={input.onBlur}
                          validated={nameError ? 'error' : 'default'}
                        />
                      )}
                    />
                  )}
                  {row.notes && (
                    <Content component="small" className="console-muted">
                      {row.notes}
                    </Content>
                  )}
                  <FieldHelp error={nameError} />
                </Td>
                <Td dataLabel="Value">
                  <Flex gap={{ default: 'gapSm' }} flexWrap={{ default: 'wrap' }}>
                    <FlexItem className="console-value-kind">
                      <Controller
                        control={control}
                        name={`attributes.${index}.valueKind`}
                        render={({ field: input }) => (
                          <FormSelect
                            aria-label={`Value kind for ${label}`}
                            value={input.value}
                            onChange={(_event, value) => input.onChange(value)}
                          >
                            <FormSelectOption value="source" label="Directory attribute" />
                            <FormSelectOption value="constant" label="Constant" />
                          </FormSelect>
                        )}
                      />
                    </FlexItem>
                    <FlexItem grow={{ default: 'grow' }}>
                      {row.valueKind === 'source' ? (
                        <Controller
                          control={control}
                          name={`attributes.${index}.source`}
                          render={({ field: input }) => (
                            <FormSelect
                              aria-label={`Directory attribute for ${label}`}
                              value={input.value}
                              onChange={(_event, value) => input.onChange(value)}
                              validated={valueError ? 'error' : 'default'}
                            >
                              <FormSelectOption value="" label="Choose a directory attribute" isPlaceholder />
                              {!knownSource && row.source !== '' && <FormSelectOption value={row.source} label={row.source} />}
                              {sources.map((s) => (
                                <FormSelectOption key={s.value} value={s.value} label={s.label} />
                              ))}
                            </FormSelect>
                          )}
                        />
                      ) : (
                        <Controller
                          control={control}
                          name={`attributes.${index}.constant`}
                          render={({ field: input }) => (
                            <TextInput
                              aria-label={`Constant value for ${label}`}
                              value={input.value}
                              onChange={(_event, value) => input.onChange(value)}
                              onBlur={input.onBlur}
                              validated={valueError ? 'error' : 'default'}
                            />
                          )}
                        />
                      )}
                    </FlexItem>
                  </Flex>
                  <FieldHelp error={valueError} />
                </Td>
                <Td dataLabel="JIT">
                  {row.locked ? (
                    row.required ? (
                      <Label color="green" isCompact>
                        JIT required
                      </Label>
                    ) : (
                      <span className="console-muted">Optional</span>
                    )
                  ) : (
                    <Controller
                      control={control}
                      name={`attributes.${index}.required`}
                      render={({ field: input }) => (
                        <Checkbox
                          id={`attribute-required-${field.id}`}
                          label="JIT required"
                          aria-label={`${label} is required for JIT provisioning`}
                          isChecked={input.value}
                          onChange={(_event, checked) => input.onChange(checked)}
                        />
                      )}
                    />
                  )}
                </Td>
                <Td dataLabel="Send">
                  <Controller
                    control={control}
                    name={`attributes.${index}.enabled`}
                    render={({ field: input }) => (
                      <Switch
                        id={`attribute-enabled-${field.id}`}
                        aria-label={`Send ${label} in the assertion`}
                        isChecked={input.value}
                        onChange={(_event, checked) => input.onChange(checked)}
                      />
                    )}
                  />
                  <FieldHelp error={otherError} />
                </Td>
                <Td isActionCell>
                  {!row.locked && (
                    <Button variant="plain" aria-label={`Remove attribute ${label}`} icon={<TrashIcon />} onClick={() => remove(index)} />
                  )}
                </Td>
              </Tr>
            );
          })}
          {fields.length === 0 && (
            <Tr>
              <Td colSpan={5}>No attributes are sent besides the NameID.</Td>
            </Tr>
          )}
        </Tbody>
      </Table>
      {canAdd && (
        <div>
          <Button
            variant="link"
            icon={<PlusCircleIcon />}
            onClick={() =>
              append({
                spName: '',
                origin: null,
                locked: false,
                valueKind: 'source',
                source: '',
                constant: '',
                enabled: true,
                required: false,
                notes: '',
              })
            }
          >
            Add attribute
          </Button>
        </div>
      )}
    </>
  );
}
