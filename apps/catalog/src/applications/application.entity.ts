import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { ApplicationSnapshot, AttributeMapping } from '@jit/catalog-contracts';

@Entity({ name: 'applications' })
@Index('applications_org_idx', ['organizationId'])
export class Application {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'organization_id' })
  organizationId!: string;

  @Column('text', { name: 'connector_id' })
  connectorId!: string;

  @Column('text')
  name!: string;

  @Column('text', { name: 'sp_entity_id' })
  spEntityId!: string;

  /** Exact strings, compared byte for byte by the IdP. */
  @Column('jsonb', { name: 'acs_urls' })
  acsUrls!: string[];

  /** Each ACS URL with the index requests name it by (the metadata's, or its position). */
  @Column('jsonb', { name: 'acs_indexes', default: () => "'[]'::jsonb" })
  acsIndexes!: ApplicationSnapshot['acsIndexes'];

  @Column('text', { name: 'name_id_format' })
  nameIdFormat!: string;

  @Column('text', { name: 'name_id_source' })
  nameIdSource!: string;

  @Column('boolean', { name: 'sign_assertion' })
  signAssertion!: boolean;

  @Column('boolean', { name: 'sign_response' })
  signResponse!: boolean;

  @Column('text', { name: 'signature_algorithm', default: 'rsa-sha256' })
  signatureAlgorithm!: ApplicationSnapshot['signatureAlgorithm'];

  /** Canonical PEM, as certificates.ts writes it. */
  @Column('jsonb', { name: 'sp_signing_certificates', default: () => "'[]'::jsonb" })
  spSigningCertificates!: string[];

  @Column('boolean', { name: 'require_signed_requests', default: false })
  requireSignedRequests!: boolean;

  @Column('text', { name: 'encryption_certificate', nullable: true })
  encryptionCertificate!: string | null;

  @Column('text', { name: 'default_relay_state', nullable: true })
  defaultRelayState!: string | null;

  @Column('boolean', { name: 'idp_initiated_allowed', default: true })
  idpInitiatedAllowed!: boolean;

  @Column('boolean', { name: 'idp_initiated_relay_state_from_caller', default: false })
  idpInitiatedRelayStateFromCaller!: boolean;

  @Column('text', { name: 'single_logout_url', nullable: true })
  singleLogoutUrl!: string | null;

  @Column('jsonb', { name: 'groups_attribute', nullable: true })
  groupsAttribute!: ApplicationSnapshot['groupsAttribute'];

  @Column('text', { name: 'launch_url', nullable: true })
  launchUrl!: string | null;

  @Column('boolean', { name: 'portal_visible', default: true })
  portalVisible!: boolean;

  @Column('text', { name: 'portal_label', nullable: true })
  portalLabel!: string | null;

  @Column('text', { name: 'portal_color', nullable: true })
  portalColor!: string | null;

  @Column('boolean', { name: 'mfa_required', default: false })
  mfaRequired!: boolean;

  @Column('text', { name: 'mfa_authn_context', default: 'refeds-mfa' })
  mfaAuthnContext!: ApplicationSnapshot['mfaAuthnContext'];

  @Column('boolean', { name: 'mfa_phishing_resistant', default: false })
  mfaPhishingResistant!: boolean;

  @Column('boolean', { default: true })
  active!: boolean;

  @Column('jsonb')
  attributes!: AttributeMapping[];

  /** What a user must have a value for to be ready (jit-readiness.ts `requiredSources`), written with the row. */
  @Column('text', { name: 'required_sources', array: true, default: () => "'{}'" })
  requiredSources!: string[];

  @Column('integer', { default: 1 })
  version!: number;

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;
}

/** A group's authorisation for an application. Unbinding keeps the row so the pair's version keeps counting. */
@Entity({ name: 'application_groups' })
@Index('application_groups_group_idx', ['groupId'])
export class ApplicationGroup {
  @PrimaryColumn('uuid', { name: 'application_id' })
  applicationId!: string;

  @PrimaryColumn('uuid', { name: 'group_id' })
  groupId!: string;

  @Column('uuid', { name: 'organization_id' })
  organizationId!: string;

  @Column('boolean')
  active!: boolean;

  @Column('integer')
  version!: number;

  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;
}
