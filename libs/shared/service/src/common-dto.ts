import { z } from 'zod';

/** `?limit=&offset=` on every list; lists answer `{ items, total }`. */
export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
export type ListQuery = z.infer<typeof ListQuery>;

export const IdParam = z.uuid({ message: 'must be a UUID' });

export interface Page<T> {
  items: T[];
  total: number;
}

/** The answer of a list: `PageOf(UserView)` is `{ items: UserView[], total }` (`total` counts every match, not only this page). */
export const PageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.number().int().meta({ description: 'Every match, not only this page' }) });

/** One bad field, as an error's `details` and a bulk answer's rows name it. */
export const FieldProblemView = z.object({ field: z.string(), message: z.string() });

/**
 * A moment in an answer: the Date a row holds, sent (and documented) as its ISO 8601 string. Both
 * parse, so a test can check a JSON answer with the same schema the code builds it to.
 */
export const Timestamp = z.union([z.date(), z.iso.datetime({ offset: true })]);
