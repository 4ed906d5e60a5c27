import { z } from 'zod';

export const CreateGroupBody = z.strictObject({ name: z.string().trim().min(1).max(200) });
export type CreateGroupBody = z.infer<typeof CreateGroupBody>;

export const RenameGroupBody = CreateGroupBody;
export type RenameGroupBody = z.infer<typeof RenameGroupBody>;

export const AddMemberBody = z.strictObject({ userId: z.uuid({ message: 'must be a UUID' }) });
export type AddMemberBody = z.infer<typeof AddMemberBody>;

/** `POST /v1/user-groups/:id/members/bulk`: the schema is the bulk RPC's, so both refuse alike. */
export { BulkMembershipChanges as BulkMembersBody, BulkMembershipResults } from '@jit/directory-contracts';

/** `PUT /v1/user-groups/:id/members`: the whole list of members, each id once. */
export const SetMembersBody = z.strictObject({ userIds: z.array(z.uuid({ message: 'must be a UUID' })) }).superRefine((value, ctx) => {
  const first = new Map<string, number>();
  value.userIds.forEach((userId, index) => {
    const seen = first.get(userId.toLowerCase());
    if (seen === undefined) first.set(userId.toLowerCase(), index);
    else ctx.addIssue({ code: 'custom', path: ['userIds', index], message: `duplicate of userIds.${seen}` });
  });
});
export type SetMembersBody = z.infer<typeof SetMembersBody>;
