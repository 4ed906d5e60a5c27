import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import { Outbox, type OutboxTransaction } from '@jit/messaging';
import { z } from 'zod';
import {
  ADMIN_ROLES,
  DirectoryEvents,
  STANDARD_USER_ATTRIBUTES,
  USER_STATES,
  type StandardUserAttribute,
  type UserProfile,
  type UserState,
} from '@jit/directory-contracts';
import { DomainError, ErrorCode, NOT_TEXT, notFound, PageOf, Timestamp } from '@jit/service';
import { clearLockout } from '../credentials/clear-lockout';
import { Membership, UserGroup } from '../groups/group.entity';
import { endAdminSessions } from '../roles/admin-sessions.service';
import { refuseLosingLastAdministrator } from '../roles/last-administrator';
import { PasswordHasher, type Candidate } from './password-check';
import { User } from './user.entity';
import type { CreateUserBody, UpdateUserBody, UserListQuery, UserSortField } from './users.dto';

/** `text` with every NOT_TEXT character replaced by U+FFFD, so that it can be stored. */
export const asStorableText = (text: string): string => text.replace(new RegExp(NOT_TEXT.source, 'g'), '\uFFFD');

/** The standard attributes beyond the identity ones (id, username, email): one list, the contract's. */
const IDENTITY_KEYS: readonly string[] = ['id', 'username', 'email'];
const PROFILE_KEYS = STANDARD_USER_ATTRIBUTES.filter(
  (key): key is Exclude<StandardUserAttribute, 'id' | 'username' | 'email'> => !IDENTITY_KEYS.includes(key),
);

/** Text sorts ignore case (as uniqueness does); missing values sort last either way. */
const SORT_EXPRESSIONS: Record<UserSortField, string> = {
  username: 'u.usernameLower',
  email: 'u.emailLower',
  firstname: 'LOWER(u.firstname)',
  lastname: 'LOWER(u.lastname)',
  createdAt: 'u.createdAt',
  updatedAt: 'u.updatedAt',
  state: 'u.state',
};

const currentPasswordMismatch = (): DomainError =>
  new DomainError(ErrorCode.ValidationFailed, 'The current password does not match', [
    { field: 'currentPassword', message: 'does not match' },
  ]);

/** A user as the admin API answers it: every stored field but the password hash and the lower-cased lookup copies. */
export const UserView = z
  .object({
    id: z.uuid(),
    organizationId: z.uuid(),
    username: z.string(),
    email: z.string(),
    ...(Object.fromEntries(PROFILE_KEYS.map((key) => [key, z.string().nullable()])) as Record<
      (typeof PROFILE_KEYS)[number],
      z.ZodNullable<z.ZodString>
    >),
    state: z.enum(USER_STATES),
    adminRole: z.enum(ADMIN_ROLES).nullable().meta({ description: 'The admin role in the organisation, if any' }),
    customAttributes: z.record(z.string(), z.string()),
    version: z.number().int(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'UserView' });
export type UserView = z.infer<typeof UserView>;
export const UserPage = PageOf(UserView).meta({ id: 'UserPage' });
export type UserPage = z.infer<typeof UserPage>;

/** A group as a user's groups list it. */
export const UserGroupRef = z.object({ id: z.uuid(), name: z.string() });
export const UserGroupsPage = PageOf(UserGroupRef).meta({ id: 'UserGroupsPage' });
export type UserGroupsPage = z.infer<typeof UserGroupsPage>;

export function toProfile(user: User): UserProfile {
  const profile = { username: user.username, email: user.email, state: user.state, customAttributes: user.customAttributes } as UserProfile;
  for (const key of PROFILE_KEYS) profile[key] = user[key];
  return profile;
}

export function toView(user: User): UserView {
  const { passwordHash: _hash, usernameLower: _u, emailLower: _e, ...view } = user;
  return view satisfies Omit<User, 'passwordHash' | 'usernameLower' | 'emailLower'>;
}

@Injectable()
export class UsersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly passwords: PasswordHasher,
  ) {}

  async create(organizationId: string, body: CreateUserBody): Promise<UserView> {
    const passwordHash = body.password ? await this.passwords.hash(body.password) : null;
    const user = this.newUser(organizationId, body, passwordHash);
    await this.outbox.run((tx) => this.insertNew(tx, user));
    return toView(user);
  }

  /** A user row not stored yet: an ordinary person (no admin role) at version 1. */
  newUser(organizationId: string, body: CreateUserBody, passwordHash: string | null): User {
    const user = this.dataSource.getRepository(User).create({
      id: randomUUID(),
      organizationId,
      username: body.username,
      usernameLower: body.username.toLowerCase(),
      email: body.email,
      emailLower: body.email.toLowerCase(),
      state: body.state ?? 'ACTIVATED',
      customAttributes: body.customAttributes ?? {},
      passwordHash,
      adminRole: null,
      version: 1,
    });
    for (const key of PROFILE_KEYS) user[key] = body[key] ?? null;
    return user;
  }

  /** Stores a user from newUser in the caller's transaction, with its created event. */
  async insertNew(tx: OutboxTransaction, user: User): Promise<void> {
    await this.claimLoginNames(tx.manager, user);
    await this.insertUnique(tx.manager, user);
    this.emitSnapshot(tx, user, 'created', []);
  }

  /** Filters and sort come from UserListQuery: column names from fixed lists, every value bound. */
  async list(organizationId: string, query: UserListQuery): Promise<UserPage> {
    const qb = this.dataSource.getRepository(User).createQueryBuilder('u').where('u.organizationId = :organizationId', { organizationId });
    if (query.state) qb.andWhere('u.state = :state', { state: query.state });
    if (query.adminRole === 'none') qb.andWhere('u.adminRole IS NULL');
    else if (query.adminRole === 'any') qb.andWhere('u.adminRole IS NOT NULL');
    else if (query.adminRole) qb.andWhere('u.adminRole = :adminRole', { adminRole: query.adminRole });
    for (const [name, value] of Object.entries(query.attributes)) {
      if (value === undefined) continue;
      // Stored lower-cased copies make these two match as their uniqueness does: ignoring case.
      const ignoreCase = name === 'username' || name === 'email';
      qb.andWhere(`u.${ignoreCase ? `${name}Lower` : name} = :attr_${name}`, {
        [`attr_${name}`]: ignoreCase ? value.toLowerCase() : value,
      });
    }
    if (Object.keys(query.custom).length > 0) {
      // Containment of string values is exact equality on each named key.
      qb.andWhere('u.customAttributes @> CAST(:custom AS jsonb)', { custom: JSON.stringify(query.custom) });
    }
    if (query.group) {
      // A group of another organisation has no memberships with this organisation's users: empty, not an error.
      qb.andWhere(
        (outer) =>
          'EXISTS ' +
          outer
            .subQuery()
            .select('1')
            .from(Membership, 'm')
            .where('m.user_id = u.id')
            .andWhere('m.group_id = :group')
            .andWhere('m.organization_id = :organizationId')
            .andWhere('m.active = true')
            .getQuery(),
        { group: query.group },
      );
    }
    query.search.forEach((word, i) => {
      // Each word a prefix of one of the four, in the form the indexes of UserSearchIndexes hold.
      qb.andWhere(
        `(u.usernameLower LIKE :word_${i} OR u.emailLower LIKE :word_${i} OR LOWER(u.firstname) LIKE :word_${i} OR LOWER(u.lastname) LIKE :word_${i})`,
        { [`word_${i}`]: `${escapeLike(word.toLowerCase())}%` },
      );
    });
    if (query.sort) qb.orderBy(SORT_EXPRESSIONS[query.sort.field], query.sort.descending ? 'DESC' : 'ASC', 'NULLS LAST');
    // Ties (and the default) go by creation, then id, so that pages never overlap or skip.
    if (query.sort?.field !== 'createdAt') qb.addOrderBy('u.createdAt', 'ASC');
    qb.addOrderBy('u.id', 'ASC');
    const [items, total] = await qb.take(query.limit).skip(query.offset).getManyAndCount();
    return { items: items.map(toView), total };
  }

  /** The custom attribute names used by at least one user of the organisation, sorted. */
  async customAttributeNames(organizationId: string): Promise<string[]> {
    const rows = await this.dataSource
      .getRepository(User)
      .createQueryBuilder('u')
      .select('DISTINCT jsonb_object_keys(u.custom_attributes)', 'name')
      .where('u.organization_id = :organizationId', { organizationId })
      .getRawMany<{ name: string }>();
    // Sorted here by code point, so the order does not depend on the database's collation.
    return rows.map((r) => r.name).sort();
  }

  /** The groups the user is an active member of. */
  async groupsOf(organizationId: string, id: string): Promise<UserGroupsPage> {
    await this.find(this.dataSource.manager, organizationId, id);
    const groups = await this.dataSource
      .getRepository(UserGroup)
      .createQueryBuilder('g')
      .innerJoin(Membership, 'm', 'm.groupId = g.id AND m.userId = :userId AND m.active = true', { userId: id })
      .where('g.organizationId = :organizationId', { organizationId })
      .orderBy('g.nameLower', 'ASC')
      .addOrderBy('g.id', 'ASC')
      .getMany();
    return { items: groups.map((g) => ({ id: g.id, name: g.name })), total: groups.length };
  }

  /**
   * An administrator sets or resets a password. No event: neither a password nor its hash ever
   * leaves this service, and the IdP asks for every check (verifyCredentials) anyway.
   */
  /** An administrator's reset, which also lifts the account's lockout: whatever caused it is dealt with. */
  async setPassword(organizationId: string, id: string, password: string): Promise<void> {
    const passwordHash = await this.passwords.hash(password);
    await this.outbox.run(async (tx) => {
      const result = await tx.manager.getRepository(User).update({ id, organizationId }, { passwordHash });
      if (!result.affected) throw notFound('User', id);
      await clearLockout(tx, organizationId, id, 'password_reset');
    });
  }

  /**
   * Changes a password given the current one. Not throttled: only an API key holder can call it,
   * and that caller may reset the password outright.
   */
  async changePassword(organizationId: string, id: string, currentPassword: string, newPassword: string): Promise<void> {
    const user = await this.findForPasswordChange(organizationId, id);
    if (!user) throw notFound('User', id);
    const currentHash = user.passwordHash;
    const matches = currentHash !== null && (await this.passwords.verify(currentHash, currentPassword).catch(() => false));
    if (!matches || !(await this.replacePassword(organizationId, id, currentHash, newPassword))) throw currentPasswordMismatch();
  }

  /**
   * Stores a new password in place of the one whose hash the caller checked. Compare-and-set: if
   * another call changed the password meanwhile, the caller's proof is stale and nothing changes
   * (false).
   */
  async replacePassword(organizationId: string, id: string, checkedHash: string, newPassword: string): Promise<boolean> {
    const passwordHash = await this.passwords.hash(newPassword);
    const result = await this.dataSource.getRepository(User).update({ id, organizationId, passwordHash: checkedHash }, { passwordHash });
    return Boolean(result.affected);
  }

  async get(organizationId: string, id: string): Promise<UserView> {
    return toView(await this.find(this.dataSource.manager, organizationId, id));
  }

  async update(organizationId: string, id: string, body: UpdateUserBody): Promise<UserView> {
    const passwordHash = body.password ? await this.passwords.hash(body.password) : undefined;
    return this.outbox.run(async (tx) => {
      const user = await this.find(tx.manager, organizationId, id, true);
      const previousState = user.state;
      const changed: string[] = [];
      const assign = <K extends keyof User>(key: K, value: User[K] | undefined) => {
        if (value === undefined || user[key] === value) return;
        user[key] = value;
        changed.push(key);
      };
      if (body.username !== undefined) {
        assign('username', body.username);
        user.usernameLower = body.username.toLowerCase();
      }
      if (body.email !== undefined) {
        assign('email', body.email);
        user.emailLower = body.email.toLowerCase();
      }
      for (const key of PROFILE_KEYS) assign(key, body[key]);
      if (body.state !== undefined && body.state !== 'ACTIVATED') await refuseLosingLastAdministrator(tx.manager, user, 'state');
      assign('state', body.state);
      if (body.customAttributes !== undefined && JSON.stringify(body.customAttributes) !== JSON.stringify(user.customAttributes)) {
        user.customAttributes = body.customAttributes;
        changed.push('customAttributes');
      }
      if (passwordHash) {
        await tx.manager.update(User, { id }, { passwordHash });
      }
      if (changed.length === 0) return toView(user);
      if (changed.includes('username') || changed.includes('email')) await this.claimLoginNames(tx.manager, user);
      user.version += 1;
      await this.saveUnique(tx.manager, user);
      if (changed.includes('state') && user.state !== 'ACTIVATED') await endAdminSessions(tx.manager, user.id);
      this.emitSnapshot(tx, user, changed.includes('state') ? { previousState } : 'updated', changed);
      return toView(user);
    });
  }

  async remove(organizationId: string, id: string): Promise<void> {
    await this.outbox.run(async (tx) => {
      const user = await this.find(tx.manager, organizationId, id, true);
      await refuseLosingLastAdministrator(tx.manager, user, 'delete');
      // Memberships go with the user (ON DELETE CASCADE); consumers drop them on user.deleted.
      await tx.manager.delete(User, { id });
      tx.emit(DirectoryEvents.userDeleted, {
        organizationId,
        userId: id,
        version: user.version + 1,
        occurredAt: new Date().toISOString(),
      });
    });
  }

  /**
   * Who a sign-in names, by username or email, with the password hash (null: no such user). The
   * credentials module decides whether the check may run before any hash is verified.
   */
  async findForSignIn(organizationId: string, login: string): Promise<Candidate | null> {
    // No stored name holds U+0000 or a lone surrogate (bodies refuse them), and PostgreSQL would
    // refuse the query: such a login names nobody.
    if (NOT_TEXT.test(login)) return null;
    return this.dataSource
      .getRepository(User)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.organization_id = :organizationId', { organizationId })
      .andWhere('(u.username_lower = :login OR u.email_lower = :login)', { login: login.toLowerCase() })
      .getOne();
  }

  /** A user by id with the password hash, for a change of password; null for another organisation's id. */
  async findForPasswordChange(organizationId: string, id: string): Promise<User | null> {
    return this.dataSource
      .getRepository(User)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.id = :id', { id })
      .andWhere('u.organization_id = :organizationId', { organizationId })
      .getOne();
  }

  async find(manager: EntityManager, organizationId: string, id: string, lock = false): Promise<User> {
    const user = await manager.getRepository(User).findOne({
      where: { id, organizationId },
      ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
    if (!user) throw notFound('User', id);
    return user;
  }

  /** `{ previousState }` marks a state change, which has its own subject. */
  private emitSnapshot(
    tx: OutboxTransaction,
    user: User,
    kind: 'created' | 'updated' | { previousState: UserState },
    changed: string[],
  ): void {
    const base = {
      organizationId: user.organizationId,
      userId: user.id,
      version: user.version,
      occurredAt: new Date().toISOString(),
      user: toProfile(user),
    };
    if (kind === 'created') tx.emit(DirectoryEvents.userCreated, base);
    else if (kind === 'updated') tx.emit(DirectoryEvents.userUpdated, { ...base, changedAttributes: changed });
    else tx.emit(DirectoryEvents.userStateChanged, { ...base, previousState: kind.previousState, changedAttributes: changed });
  }

  /**
   * A sign-in names a user by username or by email, so within an organisation no user's username
   * may be another user's email, nor the other way round (one user's own username and email may be
   * equal). The unique indexes cover each column alone; this covers the two together. Every write
   * of a username or email takes these advisory locks (sorted, so two writers cannot deadlock)
   * before it looks, so two concurrent writers cannot both miss each other.
   */
  private async claimLoginNames(manager: EntityManager, user: User): Promise<void> {
    const names = [...new Set([user.usernameLower, user.emailLower])].sort();
    for (const name of names) {
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`directory.login:${user.organizationId}:${name}`]);
    }
    const clash = await manager
      .getRepository(User)
      .createQueryBuilder('u')
      .where('u.organizationId = :organizationId', { organizationId: user.organizationId })
      .andWhere('u.id <> :id', { id: user.id })
      .andWhere('(u.emailLower = :username OR u.usernameLower = :email)', { username: user.usernameLower, email: user.emailLower })
      .getOne();
    if (!clash) return;
    const [field, other] = clash.emailLower === user.usernameLower ? ['username', 'email'] : ['email', 'username'];
    throw new DomainError(
      ErrorCode.Conflict,
      `The ${field} is another user's ${other} in the organisation: a sign-in could not tell them apart`,
      [{ field, message: `already another user's ${other}` }],
    );
  }

  private async insertUnique(manager: EntityManager, user: User): Promise<void> {
    await manager.insert(User, user).catch((error: unknown) => rethrowUnique(error));
  }

  private async saveUnique(manager: EntityManager, user: User): Promise<void> {
    await manager.save(User, user).catch((error: unknown) => rethrowUnique(error));
  }
}

/** `text` matched literally by LIKE (whose escape character is the backslash by default). */
const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

function rethrowUnique(error: unknown): never {
  if (error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '23505') {
    const constraint = String((error.driverError as { constraint?: string }).constraint);
    const field = constraint.includes('email') ? 'email' : 'username';
    throw new DomainError(ErrorCode.Conflict, `A user with this ${field} already exists in the organisation`, [
      { field, message: 'already taken' },
    ]);
  }
  throw error;
}
