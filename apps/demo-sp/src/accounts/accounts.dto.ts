import { z } from 'zod';
import { APP_ID_PATTERN } from '../config';

const optionalText = z.string().trim().min(1).max(256).nullable().optional();

/** A local account made by hand: stands for an account that existed before the SP used SSO. */
export const CreateLocalAccountBody = z.strictObject({
  email: z.email().max(320),
  /** The IdP application whose sign-ins may adopt the account (link-by-email); DEMO_SP_APP_ID by default. */
  appId: z.string().regex(APP_ID_PATTERN, 'letters, digits, . _ ~ - only (at most 64)').optional(),
  firstname: optionalText,
  lastname: optionalText,
});
export type CreateLocalAccountBody = z.infer<typeof CreateLocalAccountBody>;
