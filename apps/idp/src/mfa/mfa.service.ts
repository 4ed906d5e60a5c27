import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { IdpEvents, MFA_FACTOR_KINDS, type MfaRejectionReason } from '@jit/idp-contracts';
import { AuditService } from '../audit/audit.service';
import { IDP_CONFIG, type IdpConfig } from '../config';
import { KeyEncryption } from '../keys/key-encryption';
import { newRecoveryCodes, newTotpSecret, recoveryCodeHash, verifyTotp } from './totp';

export const MFA_POLICIES = ['off', 'optional', 'required'] as const;
export type MfaPolicy = (typeof MFA_POLICIES)[number];
/**
 * How long an instance trusts the policy it read (see MfaService.policy) at most: a change is
 * announced to every instance at once (MFA_POLICY_CHANNEL); this bounds a read that raced it, or
 * an instance that was not listening.
 */
export const POLICY_CACHE_MS = 5_000;
/** The PostgreSQL NOTIFY channel a new policy is announced on (its organisation's id). */
export const MFA_POLICY_CHANNEL = 'idp_mfa_policy_set';

/** A factor as the account page and the admin API show it: never its secret. */
export interface FactorView {
  id: string;
  kind: MfaFactorKind;
  /** A passkey's name (the person chose it); null for an authenticator app. */
  name: string | null;
  confirmed: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export type MfaFactorKind = (typeof MFA_FACTOR_KINDS)[number];

interface FactorRow {
  id: string;
  kind: MfaFactorKind;
  /** A TOTP secret, encrypted; null for a passkey. */
  data: string | null;
  name: string | null;
  confirmed: boolean;
  last_step: string | null;
  created_at: Date;
  last_used_at: Date | null;
}

/** How many rows an UPDATE or DELETE changed (TypeORM's query() answers those as [rows, count] on PostgreSQL). */
async function changed(runner: Pick<DataSource, 'query'>, sql: string, parameters: unknown[]): Promise<number> {
  const [, count] = await runner.query<[unknown[], number]>(sql, parameters);
  return count;
}

type Who = { organizationId: string; userId: string };

/**
 * People's second factors, recovery codes and the organisations' MFA policies, in the IdP's
 * schema (migration Mfa1766000000000). Every change and every check at sign-in is an audit event
 * and a log line (never a code or a secret).
 */
@Injectable()
export class MfaService {
  private readonly logger = new Logger(MfaService.name);
  private readonly encryption: KeyEncryption;
  private readonly policies = new Map<string, { policy: MfaPolicy; until: number }>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    @Inject(IDP_CONFIG) config: IdpConfig,
  ) {
    this.encryption = new KeyEncryption(config.IDP_KEY_ENCRYPTION_KEY);
  }

  /**
   * The organisation's policy. Every SSO of a password-only session asks it, so each instance
   * keeps it up to POLICY_CACHE_MS; a change made through another instance is announced, and
   * every instance forgets its copy as it hears it (MfaPolicyFreshness).
   */
  async policy(organizationId: string): Promise<MfaPolicy> {
    const cached = this.policies.get(organizationId);
    if (cached && cached.until > Date.now()) return cached.policy;
    const rows: { policy: MfaPolicy }[] = await this.dataSource.query(`SELECT policy FROM idp.mfa_policies WHERE organization_id = $1`, [
      organizationId,
    ]);
    const policy = rows[0]?.policy ?? 'off';
    this.policies.set(organizationId, { policy, until: Date.now() + POLICY_CACHE_MS });
    return policy;
  }

  async setPolicy(organizationId: string, policy: MfaPolicy): Promise<void> {
    // Announced to every instance with the change (MfaPolicyFreshness): each forgets its copy at once.
    await this.dataSource.query(
      `WITH set AS (
         INSERT INTO idp.mfa_policies (organization_id, policy) VALUES ($1, $2)
         ON CONFLICT (organization_id) DO UPDATE SET policy = EXCLUDED.policy, updated_at = now() RETURNING organization_id)
       SELECT pg_notify('${MFA_POLICY_CHANNEL}', organization_id::text) FROM set`,
      [organizationId, policy],
    );
    this.policies.set(organizationId, { policy, until: Date.now() + POLICY_CACHE_MS });
    this.logger.log({ organizationId, policy }, 'MFA policy set');
    void this.audit.record(IdpEvents.mfaPolicySet, { organizationId, policy, occurredAt: new Date().toISOString() });
  }

  /** Drops this instance's copy of an organisation's policy (all of them without one): read again at its next use. */
  forgetPolicy(organizationId?: string): void {
    if (organizationId === undefined) this.policies.clear();
    else this.policies.delete(organizationId);
  }

  async factors({ organizationId, userId }: Who): Promise<FactorView[]> {
    const rows = await this.rows({ organizationId, userId });
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      name: r.name,
      confirmed: r.confirmed,
      createdAt: r.created_at,
      lastUsedAt: r.last_used_at,
    }));
  }

  async hasConfirmedFactor(who: Who): Promise<boolean> {
    return (await this.rows(who)).some((r) => r.confirmed);
  }

  async recoveryCodesLeft({ organizationId, userId }: Who): Promise<number> {
    const rows: { n: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM idp.mfa_recovery_codes WHERE organization_id = $1 AND user_id = $2 AND used_at IS NULL`,
      [organizationId, userId],
    );
    return rows[0]?.n ?? 0;
  }

  /**
   * A new, unconfirmed TOTP factor with a new secret (replacing one the person began and did not
   * confirm): it counts for nothing until confirmTotp.
   */
  async startTotp({ organizationId, userId }: Who): Promise<{ factorId: string; secret: string }> {
    const secret = newTotpSecret();
    const factorId = randomUUID();
    await this.dataSource.transaction(async (m) => {
      await m.query(`DELETE FROM idp.mfa_factors WHERE organization_id = $1 AND user_id = $2 AND kind = 'totp' AND NOT confirmed`, [
        organizationId,
        userId,
      ]);
      await m.query(`INSERT INTO idp.mfa_factors (id, organization_id, user_id, kind, data) VALUES ($1, $2, $3, 'totp', $4)`, [
        factorId,
        organizationId,
        userId,
        this.encryption.encrypt(secret),
      ]);
    });
    return { factorId, secret };
  }

  /** The secret of a factor still being enrolled (to show it again beside a wrong code). */
  async unconfirmedSecret(who: Who, factorId: string): Promise<string | null> {
    const row = (await this.rows(who)).find((r) => r.id === factorId && !r.confirmed && r.kind === 'totp');
    return row?.data ? this.encryption.decrypt(row.data) : null;
  }

  /**
   * Confirms a factor being enrolled with a code from it. Answers the person's new recovery codes
   * when this is their first factor (or they had none left), [] when they keep their set, null
   * when the code is wrong.
   */
  async confirmTotp(who: Who, factorId: string, code: string, now = Date.now()): Promise<string[] | null> {
    const row = (await this.rows(who)).find((r) => r.id === factorId && !r.confirmed && r.kind === 'totp');
    if (!row?.data) return null;
    const step = verifyTotp(this.encryption.decrypt(row.data), code, null, now);
    if (step === null) return null;
    await this.dataSource.query(
      `UPDATE idp.mfa_factors SET confirmed = true, last_step = $2, last_used_at = now() WHERE id = $1 AND NOT confirmed`,
      [factorId, step],
    );
    // The first factor's recovery codes are stored before the event: whoever acts on it (the
    // console's open pages refetch) reads the enrolment whole, not a factor without its codes.
    const codes = (await this.recoveryCodesLeft(who)) > 0 ? [] : await this.storeRecoveryCodes(who);
    this.logger.log({ ...who, factorId, kind: 'totp' }, 'MFA factor enrolled');
    void this.audit.record(IdpEvents.mfaEnrolled, { ...who, factorId, kind: 'totp', occurredAt: new Date().toISOString() });
    return codes;
  }

  /** Whether the person has a confirmed authenticator app (the code page offers its field only then). */
  async hasTotp(who: Who): Promise<boolean> {
    return (await this.rows(who)).some((r) => r.confirmed && r.kind === 'totp');
  }

  /** The first set of recovery codes of a person whose first factor is a passkey (PasskeysService.register). */
  newRecoveryCodes(who: Who): Promise<string[]> {
    return this.storeRecoveryCodes(who);
  }

  /**
   * Checks a code at sign-in: a TOTP code of a confirmed factor (once: the factor's last step
   * moves forward in the same statement that accepts it, so two instances cannot both accept it),
   * or an unused recovery code (spent in the statement that accepts it).
   */
  async verify(who: Who, code: string, now = Date.now()): Promise<'totp' | 'recovery_code' | null> {
    for (const row of (await this.rows(who)).filter((r) => r.confirmed && r.kind === 'totp')) {
      if (!row.data) continue;
      const step = verifyTotp(this.encryption.decrypt(row.data), code, row.last_step === null ? null : Number(row.last_step), now);
      if (step === null) continue;
      const updated = await changed(
        this.dataSource,
        `UPDATE idp.mfa_factors SET last_step = $2, last_used_at = now() WHERE id = $1 AND (last_step IS NULL OR last_step < $2)`,
        [row.id, step],
      );
      if (updated === 1) return this.verified(who, 'totp');
    }
    const hash = recoveryCodeHash(code);
    if (hash === null) return null;
    const spent = await changed(
      this.dataSource,
      `UPDATE idp.mfa_recovery_codes SET used_at = now()
       WHERE organization_id = $1 AND user_id = $2 AND code_hash = $3 AND used_at IS NULL`,
      [who.organizationId, who.userId, hash],
    );
    return spent === 1 ? this.verified(who, 'recovery_code') : null;
  }

  /** A code refused at sign-in: the audit event and the log line. */
  rejected(who: Who, reason: MfaRejectionReason): void {
    this.logger.log({ ...who, reason }, 'MFA code refused');
    void this.audit.record(IdpEvents.mfaRejected, { ...who, reason, occurredAt: new Date().toISOString() });
  }

  /** A new set of recovery codes, shown once; the old set is void. */
  async regenerateRecoveryCodes(who: Who): Promise<string[]> {
    const codes = await this.storeRecoveryCodes(who);
    this.logger.log(who, 'MFA recovery codes regenerated');
    void this.audit.record(IdpEvents.mfaRecoveryCodesRegenerated, { ...who, occurredAt: new Date().toISOString() });
    return codes;
  }

  /** Removes one factor; with the last confirmed one go the recovery codes. False when there is no such factor. */
  async remove(who: Who, factorId: string): Promise<boolean> {
    const row = (await this.rows(who)).find((r) => r.id === factorId);
    if (!row) return false;
    await this.dataSource.transaction(async (m) => {
      await m.query(`DELETE FROM idp.mfa_factors WHERE id = $1`, [factorId]);
      const left: unknown[] = await m.query(
        `SELECT 1 FROM idp.mfa_factors WHERE organization_id = $1 AND user_id = $2 AND confirmed LIMIT 1`,
        [who.organizationId, who.userId],
      );
      if (left.length === 0)
        await m.query(`DELETE FROM idp.mfa_recovery_codes WHERE organization_id = $1 AND user_id = $2`, [who.organizationId, who.userId]);
    });
    if (row.confirmed) {
      this.logger.log({ ...who, factorId, kind: row.kind }, 'MFA factor removed');
      void this.audit.record(IdpEvents.mfaRemoved, { ...who, factorId, kind: row.kind, occurredAt: new Date().toISOString() });
    }
    return true;
  }

  /** An administrator's reset: every factor and recovery code of the person goes. Answers how many factors went. */
  async reset(who: Who): Promise<number> {
    const removed = await this.dataSource.transaction(async (m) => {
      const factors = await changed(m, `DELETE FROM idp.mfa_factors WHERE organization_id = $1 AND user_id = $2 AND confirmed`, [
        who.organizationId,
        who.userId,
      ]);
      await m.query(`DELETE FROM idp.mfa_factors WHERE organization_id = $1 AND user_id = $2`, [who.organizationId, who.userId]);
      await m.query(`DELETE FROM idp.mfa_recovery_codes WHERE organization_id = $1 AND user_id = $2`, [who.organizationId, who.userId]);
      return factors;
    });
    this.logger.log({ ...who, factorsRemoved: removed }, 'MFA reset by an administrator');
    void this.audit.record(IdpEvents.mfaReset, { ...who, factorsRemoved: removed, occurredAt: new Date().toISOString() });
    return removed;
  }

  /** An administrator lifted the person's second-step lockout: a log line and an audit event. */
  unlocked(who: Who, lockedUntil: Date): void {
    this.logger.log({ ...who, lockedUntil: lockedUntil.toISOString() }, 'MFA lockout lifted by an administrator');
    void this.audit.record(IdpEvents.mfaUnlocked, { ...who, occurredAt: new Date().toISOString() });
  }

  private verified(who: Who, method: 'totp' | 'recovery_code'): 'totp' | 'recovery_code' {
    this.logger.log({ ...who, method }, 'MFA code accepted');
    void this.audit.record(IdpEvents.mfaVerified, { ...who, method, occurredAt: new Date().toISOString() });
    return method;
  }

  private async storeRecoveryCodes({ organizationId, userId }: Who): Promise<string[]> {
    const codes = newRecoveryCodes();
    await this.dataSource.transaction(async (m) => {
      await m.query(`DELETE FROM idp.mfa_recovery_codes WHERE organization_id = $1 AND user_id = $2`, [organizationId, userId]);
      for (const code of codes)
        await m.query(`INSERT INTO idp.mfa_recovery_codes (organization_id, user_id, code_hash) VALUES ($1, $2, $3)`, [
          organizationId,
          userId,
          recoveryCodeHash(code),
        ]);
    });
    return codes;
  }

  private rows({ organizationId, userId }: Who): Promise<FactorRow[]> {
    return this.dataSource.query(
      `SELECT id, kind, data, name, confirmed, last_step, created_at, last_used_at FROM idp.mfa_factors
       WHERE organization_id = $1 AND user_id = $2 ORDER BY created_at, id`,
      [organizationId, userId],
    );
  }
}
