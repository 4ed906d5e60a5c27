import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { AdminRole, UserProfile } from '@jit/directory-contracts';
import type { ApplicationSnapshot } from '@jit/catalog-contracts';

/**
 * The IdP's own copy of what decides a sign-in, fed only by directory and catalog events.
 * Every row keeps the version of the event that wrote it; deletions stay as tombstones so that
 * a late, older event cannot bring a row back.
 */
@Entity({ name: 'rm_users' })
export class ReadUser {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'organization_id' }) organizationId!: string;
  @Column('integer') version!: number;
  @Column('boolean') deleted!: boolean;
  @Column('jsonb', { nullable: true }) profile!: UserProfile | null;
}

@Entity({ name: 'rm_groups' })
export class ReadGroup {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'organization_id' }) organizationId!: string;
  @Column('integer') version!: number;
  @Column('boolean') deleted!: boolean;
  @Column('text', { nullable: true }) name!: string | null;
}

@Entity({ name: 'rm_memberships' })
@Index('rm_memberships_user_idx', ['userId'])
export class ReadMembership {
  @PrimaryColumn('uuid', { name: 'group_id' }) groupId!: string;
  @PrimaryColumn('uuid', { name: 'user_id' }) userId!: string;
  @Column('uuid', { name: 'organization_id' }) organizationId!: string;
  @Column('integer') version!: number;
  @Column('boolean') active!: boolean;
}

@Entity({ name: 'rm_applications' })
export class ReadApplication {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'organization_id' }) organizationId!: string;
  @Column('integer') version!: number;
  @Column('boolean') deleted!: boolean;
  @Column('jsonb', { nullable: true }) snapshot!: ApplicationSnapshot | null;
}

@Entity({ name: 'rm_bindings' })
@Index('rm_bindings_group_idx', ['groupId'])
export class ReadBinding {
  @PrimaryColumn('uuid', { name: 'application_id' }) applicationId!: string;
  @PrimaryColumn('uuid', { name: 'group_id' }) groupId!: string;
  @Column('uuid', { name: 'organization_id' }) organizationId!: string;
  @Column('integer') version!: number;
  @Column('boolean') active!: boolean;
}

/** A user's admin role (null: none), versioned by its own events (migration AdminRoles1765600000000). */
@Entity({ name: 'rm_admin_roles' })
export class ReadAdminRole {
  @PrimaryColumn('uuid', { name: 'user_id' }) userId!: string;
  @Column('uuid', { name: 'organization_id' }) organizationId!: string;
  @Column('integer') version!: number;
  @Column('text', { nullable: true }) role!: AdminRole | null;
}

/**
 * An organisation as the directory's organization.created/updated events say: what its sign-in
 * pages show (migration OrganizationBranding1766200000000). `id` and `organization_id` are the
 * same: every read-model row names its organisation.
 */
@Entity({ name: 'rm_organizations' })
export class ReadOrganization {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'organization_id' }) organizationId!: string;
  @Column('integer') version!: number;
  @Column('boolean') deleted!: boolean;
  @Column('text', { nullable: true }) name!: string | null;
  @Column('text', { name: 'logo_url', nullable: true }) logoUrl!: string | null;
  @Column('text', { name: 'brand_color', nullable: true }) brandColor!: string | null;
}

/** One-time reads of a producer's snapshot that are done (ReadModelService.backfillAdminRoles). */
@Entity({ name: 'rm_backfills' })
export class ReadModelBackfill {
  @PrimaryColumn('text') name!: string;
  @Column('timestamptz', { name: 'completed_at' }) completedAt!: Date;
}

export const READ_MODEL_ENTITIES = [
  ReadUser,
  ReadGroup,
  ReadMembership,
  ReadApplication,
  ReadBinding,
  ReadAdminRole,
  ReadOrganization,
  ReadModelBackfill,
];
