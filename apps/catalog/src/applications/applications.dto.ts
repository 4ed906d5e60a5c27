import { z } from 'zod';

const NAME_ID_FORMATS = [
  'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
  'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
] as const;

const Mapping = z.strictObject({
  spName: z.string().trim().min(1).max(512),
  source: z.string().max(128).nullable().optional(),
  constant: z.string().max(2048).nullable().optional(),
  enabled: z.boolean().optional(),
});

const fields = {
  name: z.string().trim().min(1).max(200),
  spEntityId: z.string().trim().min(1).max(1024),
  acsUrls: z.array(z.string().max(2048)).min(1, 'register at least one ACS URL').max(20),
  nameIdFormat: z.enum(NAME_ID_FORMATS).optional(),
  nameIdSource: z.string().max(128).optional(),
  signAssertion: z.boolean().optional(),
  signResponse: z.boolean().optional(),
  active: z.boolean().optional(),
  attributes: z.array(Mapping).max(100).optional(),
};

export const CreateApplicationBody = z.strictObject({ connectorId: z.string().min(1).max(64), ...fields });
export type CreateApplicationBody = z.infer<typeof CreateApplicationBody>;

export const UpdateApplicationBody = z
  .strictObject({
    name: fields.name.optional(),
    spEntityId: fields.spEntityId.optional(),
    acsUrls: fields.acsUrls.optional(),
    nameIdFormat: fields.nameIdFormat,
    nameIdSource: fields.nameIdSource,
    signAssertion: fields.signAssertion,
    signResponse: fields.signResponse,
    active: fields.active,
    attributes: fields.attributes,
  })
  .refine((b) => Object.keys(b).length > 0, 'send at least one field to change');
export type UpdateApplicationBody = z.infer<typeof UpdateApplicationBody>;

export const BindGroupBody = z.strictObject({ groupId: z.uuid({ message: 'must be a UUID' }) });
export type BindGroupBody = z.infer<typeof BindGroupBody>;

