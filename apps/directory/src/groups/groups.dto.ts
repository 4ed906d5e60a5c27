import { z } from 'zod';

export const CreateGroupBody = z.strictObject({ name: z.string().trim().min(1).max(200) });
export type CreateGroupBody = z.infer<typeof CreateGroupBody>;

export const RenameGroupBody = CreateGroupBody;
export type RenameGroupBody = z.infer<typeof RenameGroupBody>;

export const AddMemberBody = z.strictObject({ userId: z.uuid({ message: 'must be a UUID' }) });
export type AddMemberBody = z.infer<typeof AddMemberBody>;
