import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { DataSource } from 'typeorm';
import { IdpEvents, type MfaRejectionReason } from '@jit/idp-contracts';
import { AuditService } from '../audit/audit.service';
import { IDP_CONFIG, type IdpConfig } from '../config';
import { MfaService } from './mfa.service';
import { parseCredentialJson, passkeyName, webAuthnRelyingParty, type RelyingParty } from './passkey-rules';
import { WebAuthnChallenges, challengeHash, type ChallengePurpose } from './webauthn-challenge';

type Who = { organizationId: string; userId: string };

interface CredentialRow {
  id: string;
  organization_id: string;
  user_id: string;
  credential_id: string;
  public_key: Buffer;
  sign_count: string;
  transports: string[] | null;
}

/** The answer to a passkey ceremony: who it proved (and with which factor), or why it was refused. */
export type PasskeyCheck =
  | { ok: true; userId: string; factorId: string }
  | { ok: false; reason: MfaRejectionReason | 'expired' | 'unknown_passkey' | 'malformed'; userId?: string };

export type PasskeyRegistration =
  | { ok: true; factorId: string; recoveryCodes: string[] }
  | { ok: false; reason: 'expired' | 'malformed' | 'invalid_passkey' | 'already_registered' };

/** How long the browser offers the ceremony (the WebAuthn timeout); the challenge itself lives CHALLENGE_TTL_MS. */
const CEREMONY_TIMEOUT_MS = 120_000;

/**
 * WebAuthn passkeys with @simplewebauthn/server: registration (a person adds one; user
 * verification and a discoverable credential required, so the same passkey signs in without a
 * password), and authentication as a second factor or alone. The relying party is the IdP's
 * public URL (IDP_BASE_URL: its host is the rpID, its origin the only origin accepted).
 * Challenges are WebAuthnChallenges (no row until used) and are accepted once on any instance
 * (idp.webauthn_challenges_used, inserted in the statement that accepts one). Every enrolment,
 * success and refusal is an audit event and a log line.
 */
@Injectable()
export class PasskeysService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(PasskeysService.name);
  private sweeper?: NodeJS.Timeout;
  private readonly challenges: WebAuthnChallenges;
  readonly rp: RelyingParty;

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly mfa: MfaService,
    @Inject(IDP_CONFIG) config: IdpConfig,
  ) {
    this.challenges = new WebAuthnChallenges(config.IDP_KEY_ENCRYPTION_KEY);
    this.rp = webAuthnRelyingParty(config.IDP_BASE_URL);
  }

  onModuleInit(): void {
    this.sweeper = setInterval(() => {
      this.sweep().catch((error: unknown) => this.logger.warn(`Could not forget used passkey challenges: ${String(error)}`));
    }, 60_000);
    this.sweeper.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
  }

  /** Options for adding a passkey: the person's passkeys excluded, so one authenticator is not registered twice. */
  async registrationOptions(sessionId: string, who: Who, account: { name: string; displayName: string }) {
    const existing = await this.credentials(who);
    return generateRegistrationOptions({
      rpName: this.rp.name,
      rpID: this.rp.id,
      userName: account.name,
      userDisplayName: account.displayName,
      userID: new Uint8Array(Buffer.from(who.userId.replace(/-/g, ''), 'hex')),
      challenge: this.challengeBytes('register', sessionId),
      timeout: CEREMONY_TIMEOUT_MS,
      attestationType: 'none',
      excludeCredentials: existing.map((c) => ({ id: c.credential_id, transports: transportsOf(c) })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
  }

  /** Checks and stores a new passkey; answers the person's recovery codes when it is their first factor. */
  async register(sessionId: string, who: Who, credentialJson: string | undefined, name: string | undefined): Promise<PasskeyRegistration> {
    const response = parseCredentialJson<RegistrationResponseJSON>(credentialJson, 'attestationObject');
    if (!response) return { ok: false, reason: 'malformed' };
    let challenge: string | null = null;
    let verified;
    try {
      verified = await verifyRegistrationResponse({
        response,
        expectedChallenge: (c) => {
          challenge = c;
          return this.challenges.check(c, 'register', sessionId) !== null;
        },
        expectedOrigin: this.rp.origin,
        expectedRPID: this.rp.id,
        requireUserVerification: true,
      });
    } catch (error) {
      return this.registrationRefused(who, challenge, sessionId, error);
    }
    if (!verified.verified || challenge === null) return this.registrationRefused(who, challenge, sessionId, null);
    if (!(await this.spend(challenge, 'register', sessionId))) return { ok: false, reason: 'expired' };
    const info = verified.registrationInfo;
    const factorId = randomUUID();
    const inserted: unknown[] = await this.dataSource.query(
      `INSERT INTO idp.mfa_factors (id, organization_id, user_id, kind, confirmed, last_used_at, name, credential_id, public_key,
         sign_count, transports, backup_eligible, backed_up, aaguid)
       VALUES ($1, $2, $3, 'webauthn', true, NULL, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (credential_id) WHERE credential_id IS NOT NULL DO NOTHING RETURNING id`,
      [
        factorId,
        who.organizationId,
        who.userId,
        passkeyName(name),
        info.credential.id,
        Buffer.from(info.credential.publicKey),
        info.credential.counter,
        info.credential.transports ?? null,
        info.credentialDeviceType === 'multiDevice',
        info.credentialBackedUp,
        info.aaguid,
      ],
    );
    if (inserted.length === 0) return { ok: false, reason: 'already_registered' };
    this.logger.log({ ...who, factorId, kind: 'webauthn', aaguid: info.aaguid, backedUp: info.credentialBackedUp }, 'MFA factor enrolled');
    void this.audit.record(IdpEvents.mfaEnrolled, { ...who, factorId, kind: 'webauthn', occurredAt: new Date().toISOString() });
    const recoveryCodes = (await this.mfa.recoveryCodesLeft(who)) > 0 ? [] : await this.mfa.newRecoveryCodes(who);
    return { ok: true, factorId, recoveryCodes };
  }

  /**
   * Options for signing in with a passkey. `who` given: the second step or a re-verification, with
   * that person's passkeys allowed. Without: passwordless, any discoverable passkey of this IdP
   * (the browser offers them, also in the username field's autofill).
   */
  async authenticationOptions(purpose: Exclude<ChallengePurpose, 'register'>, sessionId: string, who?: Who) {
    const allow = who ? await this.credentials(who) : [];
    return generateAuthenticationOptions({
      rpID: this.rp.id,
      challenge: this.challengeBytes(purpose, sessionId),
      timeout: CEREMONY_TIMEOUT_MS,
      userVerification: 'required',
      allowCredentials: allow.map((c) => ({ id: c.credential_id, transports: transportsOf(c) })),
    });
  }

  /**
   * Checks a passkey's answer. `expected`: the person it must belong to (second step,
   * re-verification); without, any passkey of the organisation (passwordless). User verification
   * is always required, so a passkey alone is two factors (possession and the PIN or biometric).
   * The signature counter must move forward unless the authenticator keeps none (the library's
   * clone check); it moves in the statement that accepts the answer.
   */
  async authenticate(
    purpose: Exclude<ChallengePurpose, 'register'>,
    sessionId: string,
    organizationId: string,
    credentialJson: string | undefined,
    expected?: string,
  ): Promise<PasskeyCheck> {
    const response = parseCredentialJson<AuthenticationResponseJSON>(credentialJson, 'authenticatorData');
    if (!response) return { ok: false, reason: 'malformed' };
    const rows: CredentialRow[] = await this.dataSource.query(
      `SELECT id, organization_id, user_id, credential_id, public_key, sign_count, transports FROM idp.mfa_factors
       WHERE kind = 'webauthn' AND credential_id = $1 AND organization_id = $2`,
      [response.id, organizationId],
    );
    const row = rows[0];
    if (!row || (expected !== undefined && row.user_id !== expected)) {
      this.logger.log({ organizationId, expectedUserId: expected ?? null, purpose }, 'Passkey refused: not registered here');
      return { ok: false, reason: 'unknown_passkey', userId: expected };
    }
    const who = { organizationId, userId: row.user_id };
    // The user handle, when the authenticator gives one, must name the credential's owner.
    if (response.response.userHandle && response.response.userHandle !== userHandleOf(row.user_id))
      return this.rejected(who, 'invalid_passkey', purpose);
    let challenge: string | null = null;
    let verified;
    try {
      verified = await verifyAuthenticationResponse({
        response,
        expectedChallenge: (c) => {
          challenge = c;
          return this.challenges.check(c, purpose, sessionId) !== null;
        },
        expectedOrigin: this.rp.origin,
        expectedRPID: this.rp.id,
        credential: {
          id: row.credential_id,
          publicKey: new Uint8Array(row.public_key),
          counter: Number(row.sign_count),
          transports: transportsOf(row),
        },
        requireUserVerification: true,
      });
    } catch (error) {
      // The library's clone check: a counter that did not move forward.
      const cloned = error instanceof Error && /counter value/i.test(error.message);
      if (!cloned && challenge !== null && this.challenges.check(challenge, purpose, sessionId) === null)
        return { ok: false, reason: 'expired', userId: row.user_id };
      return this.rejected(who, cloned ? 'passkey_counter_regressed' : 'invalid_passkey', purpose, error);
    }
    if (!verified.verified || challenge === null) return this.rejected(who, 'invalid_passkey', purpose);
    if (!(await this.spend(challenge, purpose, sessionId))) return { ok: false, reason: 'expired', userId: row.user_id };
    const info = verified.authenticationInfo;
    const [, moved] = await this.dataSource.query<[unknown[], number]>(
      `UPDATE idp.mfa_factors SET sign_count = $2, backed_up = $3, last_used_at = now()
       WHERE id = $1 AND (sign_count < $2 OR ($2 = 0 AND sign_count = 0))`,
      [row.id, info.newCounter, info.credentialBackedUp],
    );
    // Another instance accepted a later answer of the same authenticator meanwhile.
    if (moved !== 1) return this.rejected(who, 'passkey_counter_regressed', purpose);
    this.logger.log({ ...who, factorId: row.id, method: 'webauthn', purpose }, 'MFA passkey accepted');
    void this.audit.record(IdpEvents.mfaVerified, {
      ...who,
      method: 'webauthn',
      ...(purpose === 'authenticate' && expected === undefined ? { passwordless: true } : {}),
      occurredAt: new Date().toISOString(),
    });
    return { ok: true, userId: row.user_id, factorId: row.id };
  }

  /** The person names a passkey ("Work laptop"). False when it is not theirs. */
  async rename(who: Who, factorId: string, name: string): Promise<boolean> {
    const [, count] = await this.dataSource.query<[unknown[], number]>(
      `UPDATE idp.mfa_factors SET name = $4 WHERE id = $1 AND organization_id = $2 AND user_id = $3 AND kind = 'webauthn'`,
      [factorId, who.organizationId, who.userId, name],
    );
    if (count !== 1) return false;
    this.logger.log({ ...who, factorId }, 'Passkey renamed');
    void this.audit.record(IdpEvents.mfaRenamed, { ...who, factorId, kind: 'webauthn', occurredAt: new Date().toISOString() });
    return true;
  }

  async hasPasskey(who: Who): Promise<boolean> {
    return (await this.credentials(who)).length > 0;
  }

  /** Forgets used challenges past their expiry (a used one is refused by its expiry from then on). */
  async sweep(): Promise<void> {
    await this.dataSource.query(`DELETE FROM idp.webauthn_challenges_used WHERE expires_at < now()`);
  }

  /**
   * The challenge as bytes: the library would UTF-8 encode a string, and the browser's answer
   * carries the bytes base64url-encoded, which is then exactly the challenge issued.
   */
  private challengeBytes(purpose: ChallengePurpose, sessionId: string): Uint8Array<ArrayBuffer> {
    const bytes = Buffer.from(this.challenges.issue(purpose, sessionId), 'base64url');
    const challenge = new Uint8Array(bytes.length);
    challenge.set(bytes);
    return challenge;
  }

  private credentials(who: Who): Promise<CredentialRow[]> {
    return this.dataSource.query(
      `SELECT id, organization_id, user_id, credential_id, public_key, sign_count, transports FROM idp.mfa_factors
       WHERE kind = 'webauthn' AND organization_id = $1 AND user_id = $2 ORDER BY created_at, id`,
      [who.organizationId, who.userId],
    );
  }

  /** Records the challenge as used: true the first time, on any instance. */
  private async spend(challenge: string, purpose: ChallengePurpose, sessionId: string): Promise<boolean> {
    const expires = this.challenges.check(challenge, purpose, sessionId);
    if (!expires) return false;
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO idp.webauthn_challenges_used (challenge_hash, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`,
      [challengeHash(challenge), expires],
    );
    return rows.length === 1;
  }

  private registrationRefused(who: Who, challenge: string | null, sessionId: string, error: unknown): PasskeyRegistration {
    if (challenge !== null && this.challenges.check(challenge, 'register', sessionId) === null) return { ok: false, reason: 'expired' };
    this.logger.log({ ...who, kind: 'webauthn', error: error instanceof Error ? error.message : null }, 'Passkey registration refused');
    return { ok: false, reason: 'invalid_passkey' };
  }

  private rejected(who: Who, reason: MfaRejectionReason, purpose: string, error?: unknown): PasskeyCheck {
    this.logger.log({ ...who, reason, purpose, error: error instanceof Error ? error.message : undefined }, 'MFA passkey refused');
    void this.audit.record(IdpEvents.mfaRejected, { ...who, reason, occurredAt: new Date().toISOString() });
    return { ok: false, reason, userId: who.userId };
  }
}

/** The WebAuthn user handle of a person: their id's 16 bytes (no name, no email), base64url. */
export function userHandleOf(userId: string): string {
  return Buffer.from(userId.replace(/-/g, ''), 'hex').toString('base64url');
}

function transportsOf(row: Pick<CredentialRow, 'transports'>): AuthenticatorTransportFuture[] | undefined {
  return row.transports && row.transports.length > 0 ? (row.transports as AuthenticatorTransportFuture[]) : undefined;
}
