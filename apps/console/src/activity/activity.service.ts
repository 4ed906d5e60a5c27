import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { DomainError, ErrorCode } from '@jit/service';
import { ACTIVITY_KINDS, Activity } from './activity.entity';

export const ACTIVITY_PAGE_DEFAULT = 50;
export const ACTIVITY_PAGE_MAX = 200;

/** `GET /api/activity`'s filters: every one optional, combined with AND. */
export const ActivityQuery = z.strictObject({
  kind: z.enum(ACTIVITY_KINDS).optional(),
  userId: z.uuid().optional(),
  applicationId: z.string().min(1).max(256).optional(),
  reason: z.string().min(1).max(256).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(ACTIVITY_PAGE_MAX).default(ACTIVITY_PAGE_DEFAULT),
  /** The `nextBefore` of the previous page. */
  before: z.string().max(200).optional(),
});
export type ActivityQuery = z.infer<typeof ActivityQuery>;

export const ActivityItem = z
  .object({
    id: z.uuid(),
    kind: z.enum(ACTIVITY_KINDS),
    occurredAt: z.iso.datetime(),
    userId: z.string().nullable(),
    applicationId: z.string().nullable(),
    reason: z.string().nullable(),
    detail: z.string().nullable(),
    actor: z
      .union([
        z.object({ kind: z.literal('person'), userId: z.string(), username: z.string() }),
        z.object({ kind: z.literal('api-key'), fingerprint: z.string() }),
      ])
      .nullable(),
    subject: z.string(),
    summary: z.string(),
  })
  .meta({ id: 'ActivityItem' });
export type ActivityItem = z.infer<typeof ActivityItem>;
export const ActivityPage = z.object({ items: z.array(ActivityItem), nextBefore: z.string().nullable() }).meta({ id: 'ActivityPage' });
export type ActivityPage = z.infer<typeof ActivityPage>;

/** A page's cursor: the (occurredAt, id) of its last row, opaque to the browser. */
const Cursor = z.tuple([z.iso.datetime(), z.uuid()]);
export const encodeCursor = (occurredAt: Date, id: string): string =>
  Buffer.from(JSON.stringify([occurredAt.toISOString(), id])).toString('base64url');
function decodeCursor(value: string): [string, string] {
  try {
    return Cursor.parse(JSON.parse(Buffer.from(value, 'base64url').toString('utf8')));
  } catch {
    throw new DomainError(ErrorCode.ValidationFailed, 'before is not a cursor this API gave: pass the nextBefore of the previous page', [
      { field: 'before', message: 'not a cursor of this API' },
    ]);
  }
}

/** The activity log: written by the event consumer, read a page at a time by the console. */
@Injectable()
export class ActivityService {
  constructor(private readonly dataSource: DataSource) {}

  /** Stores one row; a row with this id already there (a redelivered event) is left as it is. */
  async record(row: Activity): Promise<void> {
    await this.dataSource.createQueryBuilder().insert().into(Activity).values(row).orIgnore().execute();
  }

  /** Newest first, after the cursor; scoped to one organisation. */
  async page(organizationId: string, query: ActivityQuery): Promise<ActivityPage> {
    const qb = this.dataSource
      .getRepository(Activity)
      .createQueryBuilder('a')
      .where('a.organization_id = :organizationId', { organizationId });
    if (query.kind) qb.andWhere('a.kind = :kind', { kind: query.kind });
    if (query.userId) qb.andWhere('a.user_id = :userId', { userId: query.userId });
    if (query.applicationId) qb.andWhere('a.application_id = :applicationId', { applicationId: query.applicationId });
    if (query.reason) qb.andWhere('a.reason = :reason', { reason: query.reason });
    if (query.from) qb.andWhere('a.occurred_at >= :from', { from: new Date(query.from) });
    if (query.to) qb.andWhere('a.occurred_at < :to', { to: new Date(query.to) });
    if (query.before) {
      const [occurredAt, id] = decodeCursor(query.before);
      qb.andWhere('(a.occurred_at, a.id) < (:cursorAt, :cursorId)', { cursorAt: new Date(occurredAt), cursorId: id });
    }
    const rows = await qb
      .orderBy('a.occurred_at', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .limit(query.limit + 1)
      .getMany();
    const more = rows.length > query.limit;
    const items = rows.slice(0, query.limit);
    const last = items[items.length - 1];
    return { items: items.map(view), nextBefore: more && last ? encodeCursor(last.occurredAt, last.id) : null };
  }

  /** Deletes rows older than `days`; answers how many. */
  async deleteOlderThan(days: number, now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - days * 86_400_000);
    const result = await this.dataSource.createQueryBuilder().delete().from(Activity).where('occurred_at < :cutoff', { cutoff }).execute();
    return result.affected ?? 0;
  }
}

function view(row: Activity): ActivityItem {
  return {
    id: row.id,
    kind: row.kind,
    occurredAt: row.occurredAt.toISOString(),
    userId: row.userId,
    applicationId: row.applicationId,
    reason: row.reason,
    detail: row.detail,
    actor: row.actor,
    subject: row.subject,
    summary: row.summary,
  };
}
