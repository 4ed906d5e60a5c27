import { z } from 'zod';

const optionalText = z.string().trim().min(1).max(256).nullable().optional();

/** A local account made by hand: stands for an account that existed before the SP used SSO. */
export const CreateLocalAccountBody = z.strictObject({
  email: z.email().max(320),
  firstname: optionalText,
  lastname: optionalText,
});
export type CreateLocalAccountBody = z.infer<typeof CreateLocalAccountBody>;
