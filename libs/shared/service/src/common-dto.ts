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
