import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity({ name: 'organizations' })
export class Organization {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  name!: string;

  /** An https: URL (logoUrlProblem of @jit/directory-contracts); null for none. */
  @Column('text', { name: 'logo_url', nullable: true })
  logoUrl!: string | null;

  /** `#rrggbb`; null for none. */
  @Column('text', { name: 'brand_color', nullable: true })
  brandColor!: string | null;

  /** Counts the organisation's own changes: the version of its created/updated events. */
  @Column('integer', { default: 1 })
  version!: number;

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;
}

/** An admin API key, stored as its SHA-256 hash only; the key itself is shown once. */
@Entity({ name: 'api_keys' })
export class ApiKey {
  @PrimaryColumn('uuid')
  id!: string;

  @Index('api_keys_org_idx')
  @Column('uuid', { name: 'organization_id' })
  organizationId!: string;

  /** Chosen by the organisation to tell its keys apart; never secret. */
  @Column('text', { default: '' })
  name!: string;

  @Index('api_keys_hash_key', { unique: true })
  @Column('char', { name: 'key_hash', length: 64 })
  keyHash!: string;

  /** The bootstrap key may also create organisations. */
  @Column('boolean', { default: false })
  bootstrap!: boolean;

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt!: Date | null;
}
