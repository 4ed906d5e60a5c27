import { useState, useEffect, useRef } from 'react';
import { Controller, useFieldArray, useForm } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import {
  ActionGroup,
  Alert,
  Button,
  Checkbox,
  Content,
  FileUpload,
  Form,
  FormGroup,
  FormSection,
  InputGroup,
  InputGroupItem,
  Radio,
  Switch,
  TextInput,
} from '@patternfly/react-core';
import TrashIcon from '@patternfly/react-icons/dist/esm/icons/trash-icon';
import PlusCircleIcon from '@patternfly/react-icons/dist/esm/icons/plus-circle-icon';
import { applyApiErrors } from '../../forms';
import { API_FIELDS, applicationSchema, type ApplicationFormValues } from './form-model';
import { AttributesTable, type SourceOption } from './AttributesTable';
import { FieldHelp, SelectField, TextAreaField, TextField, anyErrorUnder, errorAt } from './fields';
import { MFA_AUTHN_CONTEXTS, MFA_AUTHN_CONTEXT_TEXT, NAME_ID_FORMATS, NAME_ID_FORMAT_LABEL, type Connector } from './types';

const SIGNATURE_RULE: Record<Connector['rules']['signatures'], string | null> = {
  any: null,
  response: 'This SP requires a signed Response.',
  assertion: 'This SP requires a signed Assertion.',
  'exactly-one': 'This SP wants exactly one signature: the Response or the Assertion, not both.',
};

/**
 * The application's configuration, for Create New Application Integration and for editing: the
 * same fields, checks and error placement. A refused save leaves every typed value in place and
 * puts each of the catalog's field errors beside its field.
 */
export function ApplicationForm({
  mode,
  connector,
  defaultValues,
  sources,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  mode: 'create' | 'edit';
  connector: Connector | undefined;
  defaultValues: ApplicationFormValues;
  sources: SourceOption[];
  submitLabel: string;
  onSubmit: (values: ApplicationFormValues) => Promise<void>;
  onCancel: () => void;
}) {
  const [failure, setFailure] = useState<string | null>(null);
  const form = useForm<ApplicationFormValues>({
    resolver: zodResolver(applicationSchema(mode)),
    defaultValues,
    mode: 'onTouched',
  });
  const { control, handleSubmit, setError, watch, setValue, formState } = form;
  const errors = formState.errors;
  const acs = useFieldArray({ control, name: 'acsUrls' });
  const spSource = watch('spSource');
  const encrypt = watch('encryptAssertions');
  const metadataFilename = watch('metadataFilename');
  const rules = connector?.rules;

  // A refused save shows where: the first field in error takes the focus (and scrolls into view),
  // else the failure above the form does. The Save button is far below both on a long form.
  const top = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!failure) return;
    const element = top.current?.closest('form');
    const invalid = element?.querySelector<HTMLElement>('[aria-invalid="true"]');
    if (invalid) invalid.focus();
    else element?.querySelector('[data-testid="save-failure"]')?.scrollIntoView({ block: 'start' });
  }, [failure, formState.submitCount]);

  const submit = handleSubmit(
    async (values) => {
      setFailure(null);
      try {
        await onSubmit(values);
      } catch (error) {
        setFailure(applyApiErrors(error, setError, API_FIELDS));
      }
    },
    () => setFailure('Some fields need attention: each says what is wrong.'),
  );

  const sourceChoices = [
    ...sources,
    ...(sources.some((s) => s.value === defaultValues.nameIdSource)
      ? []
      : [{ value: defaultValues.nameIdSource, label: defaultValues.nameIdSource }]),
  ];

  return (
    <Form onSubmit={(event) => void submit(event)} noValidate aria-label={mode === 'create' ? 'New application' : 'Edit application'}>
      {/* display: contents: a marker to find the form by, without a row of the form's grid. */}
      <div ref={top} style={{ display: 'contents' }} />
      {failure && (
        <Alert component="h3" isInline variant="danger" title="The application was not saved" data-testid="save-failure">
          {failure}
        </Alert>
      )}

      <FormSection title="General info" titleElement="h2">
        <TextField
          control={control}
          errors={errors}
          name="name"
          label="Display label"
          isRequired
          helper="How admins and the user portal name it."
        />
        <Controller
          control={control}
          name="active"
          render={({ field }) => (
            <Switch
              id="field-active"
              label="Active: users of its bound groups may sign in"
              isChecked={field.value}
              onChange={(_event, checked) => field.onChange(checked)}
            />
          )}
        />
      </FormSection>

      <FormSection title="User portal" titleElement="h2">
        <Controller
          control={control}
          name="portalVisible"
          render={({ field }) => (
            <Checkbox
              id="field-portalVisible"
              label="Show this application in the user portal"
              isChecked={field.value}
              onChange={(_event, checked) => field.onChange(checked)}
            />
          )}
        />
        <TextField control={control} errors={errors} name="portalLabel" label="Portal label" helper="Empty: the display label." />
        <TextField
          control={control}
          errors={errors}
          name="launchUrl"
          label="Launch URL"
          type="url"
          helper="The SP's own sign-in page, where the portal sends people when IdP-initiated sign-in is off."
        />
        <TextField
          control={control}
          errors={errors}
          name="portalColor"
          label="Portal colour"
          placeholder="#0066cc"
          helper="#rgb or #rrggbb; empty for none."
        />
      </FormSection>

      <FormSection title="Service provider" titleElement="h2">
        <FormGroup role="radiogroup" isInline fieldId="field-spSource" label="How to describe the SP" isStack>
          <Controller
            control={control}
            name="spSource"
            render={({ field }) => (
              <>
                <Radio
                  id="sp-source-manual"
                  name="spSource"
                  label="Type the SP entity ID and ACS URLs"
                  isChecked={field.value === 'manual'}
                  onChange={() => field.onChange('manual')}
                />
                <Radio
                  id="sp-source-metadata"
                  name="spSource"
                  label={
                    mode === 'create' ? 'Import the SP metadata (file or pasted XML)' : 'Replace with SP metadata (file or pasted XML)'
                  }
                  isChecked={field.value === 'metadata'}
                  onChange={() => field.onChange('metadata')}
                />
              </>
            )}
          />
        </FormGroup>
        {spSource === 'manual' ? (
          <>
            <TextField
              control={control}
              errors={errors}
              name="spEntityId"
              label="SP Entity ID"
              isRequired
              placeholder={connector?.entityIdPattern ?? 'https://sp.example.com/saml/metadata'}
            />
            <FormGroup label="ACS URLs" isRequired fieldId="field-acsUrls-0-url" role="group">
              {acs.fields.map((field, index) => {
                const error = anyErrorUnder(errors, `acsUrls.${index}`);
                return (
                  <div key={field.id} className="pf-v6-u-mb-sm">
                    <InputGroup>
                      <InputGroupItem isFill>
                        <Controller
                          control={control}
                          name={`acsUrls.${index}.url`}
                          render={({ field: input }) => (
                            <TextInput
                              id={`field-acsUrls-${index}-url`}
                              aria-label={`ACS URL ${index + 1}`}
                              type="url"
                              value={input.value}
                              onChange={(_event, value) => input.onChange(value)}
                              onBlur={input.onBlur}
                              placeholder={connector?.acsUrlPattern ?? 'https://sp.example.com/saml/acs'}
                              validated={error ? 'error' : 'default'}
                              aria-describedby={error ? `field-acsUrls-${index}-url-help` : undefined}
                            />
                          )}
                        />
                      </InputGroupItem>
                      <InputGroupItem>
                        <Button
                          variant="plain"
                          aria-label={`Remove ACS URL ${index + 1}`}
                          icon={<TrashIcon />}
                          isDisabled={acs.fields.length === 1}
                          onClick={() => acs.remove(index)}
                        />
                      </InputGroupItem>
                    </InputGroup>
                    <FieldHelp error={error} id={`field-acsUrls-${index}-url-help`} />
                  </div>
                );
              })}
              <FieldHelp error={errorAt(errors, 'acsUrls')} helper="The first is the default; an AuthnRequest may name another by index." />
              <Button variant="link" icon={<PlusCircleIcon />} onClick={() => acs.append({ url: '' })} isDisabled={acs.fields.length >= 20}>
                Add ACS URL
              </Button>
            </FormGroup>
          </>
        ) : (
          <FormGroup label="SP metadata" fieldId="field-metadataXml" isRequired={mode === 'create'}>
            <Controller
              control={control}
              name="metadataXml"
              render={({ field }) => (
                <FileUpload
                  id="field-metadataXml"
                  type="text"
                  value={field.value}
                  filename={metadataFilename}
                  filenamePlaceholder="Drop the SP's metadata XML here, choose the file, or paste it below"
                  filenameAriaLabel="Metadata file name"
                  browseButtonText="Choose file"
                  clearButtonText="Clear"
                  allowEditingUploadedText
                  onFileInputChange={(_event, file) => setValue('metadataFilename', file.name)}
                  onDataChange={(_event, data) => field.onChange(data)}
                  onTextChange={(_event, text) => field.onChange(text)}
                  onClearClick={() => {
                    field.onChange('');
                    setValue('metadataFilename', '');
                  }}
                  validated={errorAt(errors, 'metadataXml') ? 'error' : 'default'}
                  aria-label="SP metadata XML"
                  dropzoneProps={{ accept: { 'application/xml': ['.xml'], 'text/xml': ['.xml'] } }}
                />
              )}
            />
            <FieldHelp
              error={errorAt(errors, 'metadataXml')}
              helper="Its entity ID, ACS URLs, Single Logout URL and certificates fill what is left empty here."
            />
          </FormGroup>
        )}
      </FormSection>

      <FormSection title="Single Sign-On" titleElement="h2">
        <SelectField
          control={control}
          errors={errors}
          name="nameIdFormat"
          label="NameID format"
          options={NAME_ID_FORMATS.map((format) => ({ value: format, label: `${NAME_ID_FORMAT_LABEL[format]} (${format})` }))}
        />
        <SelectField
          control={control}
          errors={errors}
          name="nameIdSource"
          label="NameID source"
          helper="The directory attribute the NameID carries."
          options={sourceChoices}
        />
        <FormGroup label="Signing" fieldId="field-signResponse" role="group" isStack>
          <Controller
            control={control}
            name="signResponse"
            render={({ field }) => (
              <Checkbox
                id="field-signResponse"
                label="Sign the SAML Response"
                isChecked={field.value}
                onChange={(_e, c) => field.onChange(c)}
              />
            )}
          />
          <Controller
            control={control}
            name="signAssertion"
            render={({ field }) => (
              <Checkbox
                id="field-signAssertion"
                label="Sign the Assertion"
                isChecked={field.value}
                onChange={(_e, c) => field.onChange(c)}
              />
            )}
          />
          <FieldHelp
            error={errorAt(errors, 'signAssertion') ?? errorAt(errors, 'signResponse')}
            helper={rules ? SIGNATURE_RULE[rules.signatures] : undefined}
          />
        </FormGroup>
        <SelectField
          control={control}
          errors={errors}
          name="signatureAlgorithm"
          label="Signature algorithm"
          options={[
            { value: 'rsa-sha256', label: 'RSA-SHA256' },
            { value: 'rsa-sha512', label: 'RSA-SHA512' },
          ]}
        />
        <Controller
          control={control}
          name="requireSignedRequests"
          render={({ field }) => (
            <Checkbox
              id="field-requireSignedRequests"
              label="Require signed AuthnRequests (verified with the SP certificates below)"
              isChecked={field.value}
              onChange={(_e, c) => field.onChange(c)}
            />
          )}
        />
        <TextAreaField
          control={control}
          errors={errors}
          name="spSigningCertificates"
          label="SP signing certificates (PEM)"
          placeholder="-----BEGIN CERTIFICATE-----"
          helper="Up to five; they verify signed AuthnRequests and LogoutRequests."
        />
        <Controller
          control={control}
          name="idpInitiatedAllowed"
          render={({ field }) => (
            <Checkbox
              id="field-idpInitiatedAllowed"
              label="Allow IdP-initiated sign-in (from the user portal)"
              description={rules && !rules.idpInitiated ? 'This SP refuses a Response it did not ask for.' : undefined}
              isChecked={field.value}
              onChange={(_e, c) => field.onChange(c)}
            />
          )}
        />
        <TextField
          control={control}
          errors={errors}
          name="defaultRelayState"
          label="Default RelayState"
          helper="Where the SP sends the person after an IdP-initiated sign-in; empty for none."
        />
      </FormSection>

      <FormSection title="Multi-factor authentication" titleElement="h2">
        <Controller
          control={control}
          name="mfaRequired"
          render={({ field }) => (
            <Checkbox
              id="field-mfaRequired"
              label="Require multi-factor authentication"
              description="Every sign-in to this application needs a second factor, whatever the organisation's MFA policy; a person without one sets one up at sign-in."
              isChecked={field.value}
              onChange={(_e, c) => field.onChange(c)}
            />
          )}
        />
        <Controller
          control={control}
          name="mfaPhishingResistant"
          render={({ field }) => (
            <Checkbox
              id="field-mfaPhishingResistant"
              label="Require a phishing-resistant factor (a passkey)"
              description="Only a passkey will do for this application: a session signed in with a password, an app code or a recovery code steps up to a passkey, and a person without one creates one at sign-in."
              isChecked={field.value}
              onChange={(_e, c) => field.onChange(c)}
            />
          )}
        />
        <FormGroup role="radiogroup" fieldId="field-mfaAuthnContext-refeds-mfa" label="AuthnContextClassRef after a second factor" isStack>
          <Controller
            control={control}
            name="mfaAuthnContext"
            render={({ field }) => (
              <>
                {MFA_AUTHN_CONTEXTS.map((value) => (
                  <Radio
                    key={value}
                    id={`field-mfaAuthnContext-${value}`}
                    name="mfaAuthnContext"
                    label={`${MFA_AUTHN_CONTEXT_TEXT[value].label} (${MFA_AUTHN_CONTEXT_TEXT[value].classRef})`}
                    description={MFA_AUTHN_CONTEXT_TEXT[value].hint}
                    isChecked={field.value === value}
                    onChange={() => field.onChange(value)}
                  />
                ))}
              </>
            )}
          />
          <FieldHelp
            error={errorAt(errors, 'mfaAuthnContext')}
            helper="What the assertion says was given after a code or other second factor; a password alone is always PasswordProtectedTransport."
          />
        </FormGroup>
      </FormSection>

      {rules?.encryption !== false && (
        <FormSection title="Encryption" titleElement="h2">
          <Controller
            control={control}
            name="encryptAssertions"
            render={({ field }) => (
              <Checkbox
                id="field-encryptAssertions"
                label="Encrypt the Assertion"
                isChecked={field.value}
                onChange={(_e, c) => field.onChange(c)}
              />
            )}
          />
          {encrypt && (
            <TextAreaField
              control={control}
              errors={errors}
              name="encryptionCertificate"
              label="SP encryption certificate (PEM)"
              isRequired={spSource === 'manual'}
              placeholder="-----BEGIN CERTIFICATE-----"
            />
          )}
        </FormSection>
      )}

      {rules?.singleLogout !== false && (
        <FormSection title="Single Logout" titleElement="h2">
          <TextField
            control={control}
            errors={errors}
            name="singleLogoutUrl"
            label="Single Logout URL"
            type="url"
            helper="The SP's SingleLogoutService (HTTP-Redirect); empty when it has none."
          />
        </FormSection>
      )}

      <FormSection title="Attributes" titleElement="h2">
        {connector && connector.id !== 'saml2' && (
          <Content component="p" className="console-muted">
            JIT-required attributes are pre-filled and on. You can't edit their SP names; change the directory attribute or constant, or
            switch one off to stop sending it.
          </Content>
        )}
        <AttributesTable control={control} errors={errors} watch={watch} sources={sources} canAdd />
      </FormSection>

      <ActionGroup>
        <Button type="submit" variant="primary" isLoading={formState.isSubmitting} isDisabled={formState.isSubmitting}>
          {submitLabel}
        </Button>
        <Button variant="link" onClick={onCancel}>
          Cancel
        </Button>
      </ActionGroup>
    </Form>
  );
}
