import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'user_groups' })
@Index('user_groups_org_name_key', ['organizationId', 'nameLower'], { unique: true })
export class UserGroup {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'organization_id' })
  organizationId!: string;

  @Column('text')
  name!: string;

  @Column('text', { name: 'name_lower' })
  nameLower!: string;

  @Column('integer', { default: 1 })
  version!: number;

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;
}

/**
 * A (group, user) pair. A removal keeps the row with `active = false` so that the pair's
 * version keeps counting: a later re-add gets a higher version than the removal.
 */
@Entity({ name: 'memberships' })
@Index('memberships_user_idx', ['userId'])
export class Membership {
  @PrimaryColumn('uuid', { name: 'group_id' })
  groupId!: string;

  @PrimaryColumn('uuid', { name: 'user_id' })
  userId!: string;

  @Column('uuid', { name: 'organization_id' })
  organizationId!: string;

  @Column('boolean')
  active!: boolean;

  @Column('integer')
  version!: number;

  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;
}
