import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DirectoryEvents } from '@jit/directory-contracts';

/** What a summary can name instead of an id: the names of the event's group and API key, where known. */
export interface NamesOf {
  group?: string;
  apiKey?: string;
}

type Kind = keyof NamesOf;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Entries `read` holds at most before it starts again (each is a few hundred bytes). */
const READ_MAX = 100_000;
const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/** The payload field that holds each kind's id. */
const ID_FIELD: Readonly<Record<Kind, string>> = { group: 'groupId', apiKey: 'apiKeyId' };
/** How a summary names each kind before its name or id (activity-events.ts, adminSummary). */
const IN_SUMMARY: Readonly<Record<Kind, string>> = { group: 'group', apiKey: 'API key' };
/** Rows `awaitNames` holds at most (a few hundred bytes each) before it starts again. */
const AWAITING_MAX = 10_000;

/** The events that give a group or an API key its name (in their `name`). */
const NAMING: Readonly<Record<string, Kind>> = {
  [DirectoryEvents.groupCreated.subject]: 'group',
  [DirectoryEvents.groupRenamed.subject]: 'group',
  [DirectoryEvents.apiKeyCreated.subject]: 'apiKey',
};

/**
 * The activity log's names for groups and API keys (console.activity_names, migration
 * 1767100000000). Events about a membership, a binding or a revocation carry only the id: the
 * console learns each name from the DIRECTORY event that set it, in stream order, and writes the
 * name into the summary when it stores the row, so the log reads "added ada to group Finance"
 * and still does after the group is renamed or deleted. A name it never saw (an event before
 * this table existed) leaves the id. The CATALOG and DIRECTORY streams are read side by side: a
 * CATALOG binding read before the DIRECTORY event that named its group is stored with the id and
 * named when that event is read (`awaitNames`, kept in memory: a restart in between leaves the
 * id), and a binding given in the moment after its group was renamed may read with the name
 * before. Names are kept and read per organisation: one organisation's events never name what
 * another's did.
 */
@Injectable()
export class ActivityNames {
  /**
   * Names read from the table, by `organisation kind id`: a bulk change's thousands of membership
   * events name the same groups, and each would otherwise read them again. An entry goes when an
   * event sets its name (learn), so the table stays the one answer.
   */
  private readonly read = new Map<string, string>();

  /**
   * Counts `learn` calls. A read that began before a name was set may return the name before; it
   * keeps what it read in `read` only when no `learn` ran meanwhile, so it cannot put back an
   * entry that `learn` has just dropped.
   */
  private learned = 0;

  /** Activity rows stored with an id instead of a name, by `organisation kind id`. */
  private readonly awaiting = new Map<string, Set<string>>();
  private awaitingRows = 0;

  constructor(private readonly dataSource: DataSource) {}

  /** Keeps the name an event sets, unless a later event (by stream sequence) set it already. */
  async learn(subject: string, payload: Record<string, unknown>, sequence: number): Promise<void> {
    const kind = NAMING[subject];
    const id = kind && payload[ID_FIELD[kind]];
    const { organizationId, name } = payload;
    if (!kind || !isUuid(id) || !isUuid(organizationId) || typeof name !== 'string') return;
    await this.dataSource.query(
      `INSERT INTO "console"."activity_names" ("organization_id", "kind", "id", "name", "stream_sequence") VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT ("organization_id", "kind", "id") DO UPDATE SET "name" = EXCLUDED."name", "stream_sequence" = EXCLUDED."stream_sequence"
        WHERE "activity_names"."stream_sequence" < EXCLUDED."stream_sequence"`,
      [organizationId, kind, id, name, sequence],
    );
    const key = `${organizationId} ${kind} ${id}`;
    this.read.delete(key);
    this.learned += 1;
    await this.nameAwaiting(key, organizationId, kind, id);
  }

  /**
   * After a row is stored for `payload` with `names`: each id the summary shows because its name
   * was not known yet is named in the row once an event names it. The table is read once more
   * after the row is noted, so a name learnt meanwhile is not missed.
   */
  async awaitNames(activityId: string, payload: Record<string, unknown>, names: NamesOf): Promise<void> {
    const { organizationId } = payload;
    if (!isUuid(organizationId)) return;
    const unnamed = (Object.keys(ID_FIELD) as Kind[]).filter((kind) => names[kind] === undefined && isUuid(payload[ID_FIELD[kind]]));
    if (unnamed.length === 0) return;
    if (this.awaitingRows + unnamed.length > AWAITING_MAX) {
      this.awaiting.clear();
      this.awaitingRows = 0;
    }
    for (const kind of unnamed) {
      const key = `${organizationId} ${kind} ${String(payload[ID_FIELD[kind]])}`;
      const rows = this.awaiting.get(key) ?? new Set<string>();
      if (!rows.has(activityId)) this.awaitingRows += 1;
      this.awaiting.set(key, rows.add(activityId));
    }
    const known = await this.of(payload);
    for (const kind of unnamed) {
      const id = String(payload[ID_FIELD[kind]]);
      if (known[kind] !== undefined) await this.nameAwaiting(`${organizationId} ${kind} ${id}`, organizationId, kind, id);
    }
  }

  /**
   * Writes the table's name for `id` (the newest by stream sequence, whichever event was read
   * last) into the summaries of the rows stored with the id.
   */
  private async nameAwaiting(key: string, organizationId: string, kind: Kind, id: string): Promise<void> {
    const rows = this.awaiting.get(key);
    if (!rows) return;
    this.awaiting.delete(key);
    this.awaitingRows -= rows.size;
    await this.dataSource.query(
      `UPDATE "console"."activity" a SET "summary" = replace(a."summary", $5 || ' ' || n."id", $5 || ' ' || n."name")
         FROM "console"."activity_names" n
        WHERE a."id" = ANY($1::uuid[]) AND n."organization_id" = $2 AND n."kind" = $3 AND n."id" = $4`,
      [[...rows], organizationId, kind, id, IN_SUMMARY[kind]],
    );
  }

  /** The names of the group and API key the payload names by id: at most one read, none when both are known or it names neither. */
  async of(payload: Record<string, unknown>): Promise<NamesOf> {
    const { organizationId } = payload;
    if (!isUuid(organizationId)) return {};
    const names: NamesOf = {};
    const missing = (Object.keys(ID_FIELD) as Kind[]).flatMap((kind) => {
      const id = payload[ID_FIELD[kind]];
      if (!isUuid(id)) return [];
      const known = this.read.get(`${organizationId} ${kind} ${id}`);
      if (known !== undefined) names[kind] = known;
      return known === undefined ? [{ kind, id }] : [];
    });
    if (missing.length === 0) return names;
    const learnedBefore = this.learned;
    const rows = await this.dataSource.query<{ kind: Kind; id: string; name: string }[]>(
      `SELECT n."kind", n."id", n."name" FROM "console"."activity_names" n
         JOIN unnest($2::text[], $3::uuid[]) AS w("kind", "id") ON n."kind" = w."kind" AND n."id" = w."id"
        WHERE n."organization_id" = $1`,
      [organizationId, missing.map((w) => w.kind), missing.map((w) => w.id)],
    );
    const keep = this.learned === learnedBefore;
    if (keep && this.read.size >= READ_MAX) this.read.clear();
    for (const row of rows) {
      names[row.kind] = row.name;
      if (keep) this.read.set(`${organizationId} ${row.kind} ${row.id}`, row.name);
    }
    return names;
  }
}
