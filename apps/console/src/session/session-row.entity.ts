import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A browser's session (express-session's data), kept in PostgreSQL so that a restart signs nobody out. */
@Entity({ name: 'sessions' })
export class SessionRow {
  @PrimaryColumn('text')
  sid!: string;

  @Column('jsonb')
  data!: Record<string, unknown>;

  @Column('timestamptz', { name: 'expires_at' })
  expiresAt!: Date;
}
