import { z } from 'zod';

export const CreateApiKeyBody = z.strictObject({ name: z.string().trim().min(1).max(200) });
export type CreateApiKeyBody = z.infer<typeof CreateApiKeyBody>;
