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
 * this table existed, or a CATALOG binding read before the DIRECTORY event that named its group)
 * leaves the id. The CATALOG and DIRECTORY streams are read side by side, so a binding given in
 * the moment after its group was renamed may read with the name before. Names are kept and
 * read per organisation: one organisation's events never name what another's did.
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
    this.read.delete(`${organizationId} ${kind} ${id}`);
    this.learned += 1;
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
