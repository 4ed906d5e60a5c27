import { Column, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { UserProfile } from '@jit/directory-contracts';

/** The catalog's copy of a directory user, as the last applied event left it. */
@Entity({ name: 'directory_users' })
@Index('directory_users_org_idx', ['organizationId'])
export class DirectoryUser {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'organization_id' })
  organizationId!: string;

  @Column('integer')
  version!: number;

  /** Kept as a tombstone so that a late, older event cannot bring the user back. */
  @Column('boolean')
  deleted!: boolean;

  @Column('jsonb', { nullable: true })
  profile!: UserProfile | null;

  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;
}

@Entity({ name: 'directory_memberships' })
@Index('directory_memberships_user_idx', ['userId'])
export class DirectoryMembership {
  @PrimaryColumn('uuid', { name: 'group_id' })
  groupId!: string;

  @PrimaryColumn('uuid', { name: 'user_id' })
  userId!: string;

  @Column('uuid', { name: 'organization_id' })
  organizationId!: string;

  @Column('integer')
  version!: number;

  @Column('boolean')
  active!: boolean;

  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;
}

/**
 * A directory group as far as the catalog needs it: that it exists in an organisation, or that
 * it was deleted (kept as a tombstone: a deleted group can never be bound again). Version 0 is a
 * group the directory vouched for before any of its events reached the catalog.
 */
@Entity({ name: 'directory_groups' })
export class DirectoryGroup {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'organization_id' })
  organizationId!: string;

  @Column('integer')
  version!: number;

  @Column('boolean')
  deleted!: boolean;

  /** From the group's latest event; null for a row written before names were kept, or vouched for before any event. */
  @Column('text', { nullable: true })
  name!: string | null;

  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;
}

export const DIRECTORY_REPLICA_ENTITIES = [DirectoryUser, DirectoryMembership, DirectoryGroup];
