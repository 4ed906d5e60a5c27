import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { AdminRole, UserState } from '@jit/directory-contracts';

@Entity({ name: 'users' })
@Index('users_org_email_key', ['organizationId', 'emailLower'], { unique: true })
@Index('users_org_username_key', ['organizationId', 'usernameLower'], { unique: true })
export class User {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'organization_id' })
  organizationId!: string;

  @Column('text')
  username!: string;

  /** Uniqueness is case-insensitive; the stored form keeps the case people typed. */
  @Column('text', { name: 'username_lower' })
  usernameLower!: string;

  @Column('text')
  email!: string;

  @Column('text', { name: 'email_lower' })
  emailLower!: string;

  @Column('text', { nullable: true }) firstname!: string | null;
  @Column('text', { nullable: true }) lastname!: string | null;
  @Column('text', { nullable: true }) displayname!: string | null;
  @Column('text', { name: 'employee_identifier', nullable: true }) employeeIdentifier!: string | null;
  @Column('text', { name: 'job_title', nullable: true }) jobTitle!: string | null;
  @Column('text', { nullable: true }) department!: string | null;
  @Column('text', { name: 'cost_center', nullable: true }) costCenter!: string | null;
  @Column('text', { nullable: true }) company!: string | null;
  @Column('text', { name: 'employee_type', nullable: true }) employeeType!: string | null;
  @Column('text', { nullable: true }) location!: string | null;
  @Column('text', { name: 'phone_number', nullable: true }) phoneNumber!: string | null;
  @Column('text', { nullable: true }) manager!: string | null;

  @Column('text', { default: 'ACTIVATED' })
  state!: UserState;

  /** At most one admin role in the organisation; null for an ordinary person (apps/directory/src/roles). */
  @Column('text', { name: 'admin_role', nullable: true })
  adminRole!: AdminRole | null;

  @Column('jsonb', { name: 'custom_attributes', default: () => `'{}'::jsonb` })
  customAttributes!: Record<string, string>;

  /** argon2id; never leaves this service. */
  @Column('text', { name: 'password_hash', nullable: true, select: false })
  passwordHash!: string | null;

  /** Per-entity event version: every event about this user carries the value after the change. */
  @Column('integer', { default: 1 })
  version!: number;

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;
}
