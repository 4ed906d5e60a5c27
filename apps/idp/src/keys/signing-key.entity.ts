import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** An organisation's signing key; the private key is stored only encrypted (AES-256-GCM). */
@Entity({ name: 'signing_keys' })
@Index('signing_keys_active_org_key', ['organizationId'], { unique: true, where: 'active' })
export class SigningKey {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'organization_id' }) organizationId!: string;
  @Column('text', { name: 'certificate_pem' }) certificatePem!: string;
  /** base64(iv | tag | ciphertext) of the PKCS#8 PEM. */
  @Column('text', { name: 'private_key_encrypted' }) privateKeyEncrypted!: string;
  @Column('boolean') active!: boolean;
  /** A key scheduled by rotation is published in metadata from creation and signs from here on. */
  @Column('timestamptz', { name: 'activates_at', default: () => 'now()' }) activatesAt!: Date;
  @Column('timestamptz', { name: 'retires_at', nullable: true }) retiresAt!: Date | null;
  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' }) createdAt!: Date;
}
