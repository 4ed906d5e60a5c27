import { randomUUID } from 'node:crypto';
import { type DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import { DomainError, ErrorCode } from '@jit/service';
import type { JitMode } from '../config';
import { Account, toAccountView, type AccountView, type JitAction, type ReceivedAttributes } from './account.entity';

export const EMAIL_NAME_ID_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

/** Who the IdP says signed in: the NameID and every attribute of the (already verified) assertion. */
export interface AssertedIdentity {
  /** The IdP entity that issued the assertion: the one this SP trusts for the application signed in to. */
  issuer: string;
  nameId: string;
  nameIdFormat: string | null;
  attributes: ReceivedAttributes;
}

export interface PickedProfile {
  email: string | null;
  firstname: string | null;
  lastname: string | null;
}

export interface JitResult {
  account: AccountView;
  action: JitAction;
}

// SPs name the same thing many ways: `email`, `User.Email`, `urn:...:mail`, and the WS-Federation
// claim URIs (`.../claims/emailaddress`, `.../givenname`, `.../surname`). Match the last segment.
const EMAIL_ATTRIBUTE = /(^|[.:/])e?mail(address)?$/i;
const FIRSTNAME_ATTRIBUTE = /(^|[.:/])(firstname|first_name|givenname)$/i;
const LASTNAME_ATTRIBUTE = /(^|[.:/])(lastname|last_name|surname|sn)$/i;

/** The first non-blank value of the first attribute (in received order) whose name matches. */
export function pickAttribute(attributes: ReceivedAttributes, namePattern: RegExp): string | null {
  for (const [name, value] of Object.entries(attributes)) {
    if (!namePattern.test(name)) continue;
    const first = (Array.isArray(value) ? value : [value]).map((v) => v.trim()).find((v) => v !== '');
    if (first !== undefined) return first;
  }
  return null;
}

export function pickProfile(identity: Omit<AssertedIdentity, 'issuer'>): PickedProfile {
  const emailNameId = identity.nameIdFormat === EMAIL_NAME_ID_FORMAT && identity.nameId.trim() !== '' ? identity.nameId.trim() : null;
  return {
    email: pickAttribute(identity.attributes, EMAIL_ATTRIBUTE) ?? emailNameId,
    firstname: pickAttribute(identity.attributes, FIRSTNAME_ATTRIBUTE),
    lastname: pickAttribute(identity.attributes, LASTNAME_ATTRIBUTE),
  };
}

/** The part of a passport-saml / node-saml Profile this SP reads. */
export interface SamlProfileLike {
  nameID?: unknown;
  nameIDFormat?: unknown;
  attributes?: unknown;
}

/**
 * node-saml gives one value as a string, several as an array, an empty AttributeValue as
 * undefined and a structured one as an xml2js object; store strings only, keeping single vs many.
 */
export function identityFromSamlProfile(profile: SamlProfileLike, issuer: string): AssertedIdentity {
  if (typeof profile.nameID !== 'string' || profile.nameID === '') {
    throw new Error('The assertion has no NameID');
  }
  const raw = profile.attributes && typeof profile.attributes === 'object' ? profile.attributes : {};
  const asText = (v: unknown): string => {
    if (v === undefined || v === null) return '';
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return JSON.stringify(v) ?? '';
  };
  // Object.fromEntries defines own properties, so an attribute named "__proto__" stays data.
  const attributes: ReceivedAttributes = Object.fromEntries(
    Object.entries(raw).map(([name, value]) => [name, Array.isArray(value) ? value.map(asText) : asText(value)]),
  );
  return {
    issuer,
    nameId: profile.nameID,
    nameIdFormat: typeof profile.nameIDFormat === 'string' ? profile.nameIDFormat : null,
    attributes,
  };
}

/**
 * What a sign-in does to the local accounts: the three ways SPs treat accounts that already exist.
 * Every lookup is within the assertion's issuer: the same NameID or email from another IdP entity
 * (another organisation) is another person as far as this SP can tell.
 * - create-only: never touches an existing account;
 * - create-or-update: keeps the account of a NameID in step with the assertion;
 * - link-by-email: as create-or-update, and adopts an existing account with the same email.
 */
export function decideJitAction(mode: JitMode, foundByNameId: boolean, foundByEmail: boolean): JitAction {
  switch (mode) {
    case 'create-only':
      return foundByNameId ? 'found' : 'created';
    case 'create-or-update':
      return foundByNameId ? 'updated' : 'created';
    case 'link-by-email':
      return foundByNameId ? 'updated' : foundByEmail ? 'linked' : 'created';
  }
}

const EMAIL_KEY = 'accounts_issuer_email_lower_key';

/** Applies the JIT decision to the database. Plain class: Nest builds it with a factory. */
export class JitProvisioningService {
  constructor(
    private readonly dataSource: DataSource,
    readonly mode: JitMode,
  ) {}

  async provision(identity: AssertedIdentity, now: Date = new Date()): Promise<JitResult> {
    try {
      return await this.dataSource.transaction((m) => this.provisionIn(m, identity, now));
    } catch (error) {
      // Only a sign-in of another NameID with the same email, racing this one, gets here.
      if (violated(error) === EMAIL_KEY) throw this.emailTaken(pickProfile(identity).email ?? '');
      throw error;
    }
  }

  private async provisionIn(m: EntityManager, identity: AssertedIdentity, now: Date): Promise<JitResult> {
    const profile = pickProfile(identity);
    const emailLower = profile.email?.toLowerCase() ?? null;
    const repo = m.getRepository(Account);
    // Sign-ins of one NameID take turns: a row lock cannot cover the row a concurrent first sign-in
    // is about to insert, and without this the loser would see that row by email, not by NameID.
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`demo_sp.accounts:${identity.issuer}\n${identity.nameId}`]);
    const lock = { mode: 'pessimistic_write' } as const;
    const { issuer } = identity;
    const byNameId = await repo.findOne({ where: { issuer, nameId: identity.nameId }, lock });
    const byEmail =
      this.mode === 'link-by-email' && !byNameId && emailLower ? await repo.findOne({ where: { issuer, emailLower }, lock }) : null;
    const action = decideJitAction(this.mode, byNameId !== null, byEmail !== null);
    const login = { lastLoginAt: now, lastJitAction: action };

    switch (action) {
      case 'created': {
        if (emailLower && (await repo.exists({ where: { issuer, emailLower } }))) throw this.emailTaken(profile.email ?? '');
        const account = repo.create({
          id: randomUUID(),
          issuer,
          nameId: identity.nameId,
          nameIdFormat: identity.nameIdFormat,
          email: profile.email,
          emailLower,
          firstname: profile.firstname,
          lastname: profile.lastname,
          attributes: identity.attributes,
          createdAt: now,
          updatedAt: now,
          loginCount: 1,
          ...login,
        });
        await repo.insert(account);
        return { account: toAccountView(account), action };
      }
      case 'found': {
        const account = byNameId!;
        const patch = { ...login, loginCount: account.loginCount + 1 };
        await repo.update({ id: account.id }, patch);
        return { account: toAccountView(Object.assign(account, patch)), action };
      }
      case 'updated': {
        const account = byNameId!;
        // An attribute missing from the assertion more often means its mapping was switched off than
        // that the value was deleted, so keep what we know; `attributes` still shows exactly what came.
        const data: Partial<Account> = {
          nameIdFormat: identity.nameIdFormat,
          email: profile.email ?? account.email,
          emailLower: emailLower ?? account.emailLower,
          firstname: profile.firstname ?? account.firstname,
          lastname: profile.lastname ?? account.lastname,
          attributes: identity.attributes,
        };
        if (data.emailLower && data.emailLower !== account.emailLower) {
          const holder = await repo.findOne({ where: { issuer, emailLower: data.emailLower } });
          if (holder && holder.id !== account.id) throw this.emailTaken(data.email ?? '');
        }
        const changed = (Object.keys(data) as (keyof Account)[]).some((key) => JSON.stringify(data[key]) !== JSON.stringify(account[key]));
        const patch = { ...data, ...login, loginCount: account.loginCount + 1, ...(changed ? { updatedAt: now } : {}) };
        await repo.update({ id: account.id }, patch);
        return { account: toAccountView(Object.assign(account, patch)), action };
      }
      case 'linked': {
        const account = byEmail!;
        // Linking adopts the account as it is (its email and names were set by someone on purpose);
        // only what it lacks is filled in from the assertion.
        const patch = {
          nameId: identity.nameId,
          nameIdFormat: identity.nameIdFormat,
          firstname: account.firstname ?? profile.firstname,
          lastname: account.lastname ?? profile.lastname,
          attributes: identity.attributes,
          updatedAt: now,
          loginCount: account.loginCount + 1,
          ...login,
        };
        await repo.update({ id: account.id }, patch);
        return { account: toAccountView(Object.assign(account, patch)), action };
      }
    }
  }

  private emailTaken(email: string): DomainError {
    const why =
      this.mode === 'link-by-email'
        ? 'it already belongs to another account'
        : `another account already has it, and in ${this.mode} mode this SP never links existing accounts (link-by-email would)`;
    return new DomainError(ErrorCode.Conflict, `Cannot use the email ${email} for this NameID: ${why}.`, [
      { field: 'email', message: 'already used by another account' },
    ]);
  }
}

function violated(error: unknown): string | undefined {
  if (!(error instanceof QueryFailedError)) return undefined;
  const driverError = error.driverError as { code?: string; constraint?: string };
  return driverError.code === '23505' ? driverError.constraint : undefined;
}
