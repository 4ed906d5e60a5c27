import { z } from 'zod';
import { CUSTOM_ATTRIBUTE_NAME, USER_STATES } from '@jit/directory-contracts';

const text = (max = 256) => z.string().trim().min(1).max(max);
const optionalText = (max = 256) => z.string().trim().max(max).nullable().optional();

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
    .record(z.string().regex(CUSTOM_ATTRIBUTE_NAME, 'custom attribute names start with a letter; letters, digits, _ . - only'), z.string().max(2048))
    .refine((r) => Object.keys(r).length <= 100, 'at most 100 custom attributes')
    .optional(),
};

export const CreateUserBody = z.strictObject({
  username: text().regex(/^[^\s]+$/, 'no white space'),
  email: z.email().max(320),
  password: z.string().min(8, 'at least 8 characters').max(1024).optional(),
  ...profileFields,
});
export type CreateUserBody = z.infer<typeof CreateUserBody>;

export const UpdateUserBody = z
  .strictObject({
    username: text().regex(/^[^\s]+$/, 'no white space').optional(),
    email: z.email().max(320).optional(),
    password: z.string().min(8, 'at least 8 characters').max(1024).optional(),
    ...profileFields,
  })
  .refine((b) => Object.keys(b).length > 0, 'send at least one field to change');
export type UpdateUserBody = z.infer<typeof UpdateUserBody>;

