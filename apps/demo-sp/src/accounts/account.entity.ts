import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Every attribute of the last assertion applied to the account, by name, exactly as received. */
export type ReceivedAttributes = Record<string, string | string[]>;

export type JitAction = 'created' | 'updated' | 'linked' | 'found';

/** A local account of the demo SP: created, updated or linked just in time from a SAML assertion. */
@Entity({ name: 'accounts' })
@Index('accounts_issuer_name_id_key', ['issuer', 'nameId'], { unique: true })
@Index('accounts_issuer_email_lower_key', ['issuer', 'emailLower'], { unique: true, where: '"email_lower" IS NOT NULL' })
export class Account {
  @PrimaryColumn('uuid')
  id!: string;

  /**
   * The IdP entity the account belongs to: the Issuer of the assertions that created or linked it,
   * or for a local account the IdP whose sign-ins may adopt it. A NameID, and an email, mean
   * something only within one issuer. Null only for accounts older than this column: no sign-in
   * reaches those.
   */
  @Column('text', { nullable: true })
  issuer!: string | null;

  /** Null for an account that existed before SSO (created locally); link-by-email may adopt it. */
  @Column('text', { name: 'name_id', nullable: true })
  nameId!: string | null;

  @Column('text', { name: 'name_id_format', nullable: true })
  nameIdFormat!: string | null;

  @Column('text', { nullable: true })
  email!: string | null;

  /** Email uniqueness and link-by-email matching are case-insensitive. */
  @Column('text', { name: 'email_lower', nullable: true })
  emailLower!: string | null;

  @Column('text', { nullable: true }) firstname!: string | null;
  @Column('text', { nullable: true }) lastname!: string | null;

  @Column('jsonb', { default: () => `'{}'::jsonb` })
  attributes!: ReceivedAttributes;

  /** What the last SAML sign-in did to this account; null until the first one. */
  @Column('text', { name: 'last_jit_action', nullable: true })
  lastJitAction!: JitAction | null;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  /**
   * When the account's data (email, names, attributes, NameID) last changed. Set by hand rather than
   * by @UpdateDateColumn so that a sign-in that only counts a login ("found") leaves it alone.
   */
  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;

  @Column('timestamptz', { name: 'last_login_at', nullable: true })
  lastLoginAt!: Date | null;

  @Column('integer', { name: 'login_count', default: 0 })
  loginCount!: number;
}

export type AccountView = Omit<Account, 'emailLower'>;

export function toAccountView(account: Account): AccountView {
  const { emailLower: _lower, ...view } = account;
  return view;
}
