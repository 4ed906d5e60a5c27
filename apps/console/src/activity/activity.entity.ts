import { Column, Entity, PrimaryColumn } from 'typeorm';

export const ACTIVITY_KINDS = ['sign-in', 'refusal', 'admin-change'] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

/** Who made an admin change, as the producing service wrote it beside the event's fields. */
export type ActivityActor = { kind: 'person'; userId: string; username: string } | { kind: 'api-key'; fingerprint: string };

/** One line of the activity log: a sign-in, a refusal, or an admin change, from the services' events. */
@Entity({ name: 'activity' })
export class Activity {
  /** Derived from the event's stream and sequence: a redelivery writes nothing new. */
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'organization_id' })
  organizationId!: string;

  @Column('text')
  kind!: ActivityKind;

  @Column('timestamptz', { name: 'occurred_at' })
  occurredAt!: Date;

  @Column('uuid', { name: 'user_id', nullable: true })
  userId!: string | null;

  /** The IdP application (a console sign-in names the console's derived id), or the catalog's. */
  @Column('text', { name: 'application_id', nullable: true })
  applicationId!: string | null;

  @Column('text', { nullable: true })
  reason!: string | null;

  @Column('text', { nullable: true })
  detail!: string | null;

  @Column('jsonb', { nullable: true })
  actor!: ActivityActor | null;

  /** The event's subject, e.g. `directory.user.updated.v1`. */
  @Column('text')
  subject!: string;

  @Column('text')
  summary!: string;
}
