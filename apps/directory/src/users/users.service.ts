import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import { Outbox, type OutboxTransaction } from '@jit/messaging';
import { DirectoryEvents, type UserProfile, type UserState } from '@jit/directory-contracts';
import { DomainError, ErrorCode, notFound, type ListQuery } from '@jit/service';
import { User } from './user.entity';
import type { CreateUserBody, UpdateUserBody } from './users.dto';

/** argon2id with OWASP's second recommended setting (19 MiB, t=2, p=1). */
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const;

const PROFILE_KEYS = [
  'firstname', 'lastname', 'displayname', 'employeeIdentifier', 'jobTitle', 'department', 'costCenter',
  'company', 'employeeType', 'location', 'phoneNumber', 'manager',
] as const;

export type UserView = Omit<User, 'passwordHash' | 'usernameLower' | 'emailLower'>;

export function toProfile(user: User): UserProfile {
  const profile = { username: user.username, email: user.email, state: user.state, customAttributes: user.customAttributes } as UserProfile;
  for (const key of PROFILE_KEYS) profile[key] = user[key];
  return profile;
}

export function toView(user: User): UserView {
  const { passwordHash: _hash, usernameLower: _u, emailLower: _e, ...view } = user;
  return view;
}

@Injectable()
export class UsersService {
  /** Verified against for unknown users, so that they cost the same as a wrong password. */
  private readonly dummyHash = argon2.hash(randomUUID(), ARGON2_OPTIONS);

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
  ) {}

  async create(organizationId: string, body: CreateUserBody): Promise<UserView> {
    const passwordHash = body.password ? await argon2.hash(body.password, ARGON2_OPTIONS) : null;
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
      version: 1,
    });
    for (const key of PROFILE_KEYS) user[key] = body[key] ?? null;
    await this.outbox.run(async (tx) => {
      await this.insertUnique(tx.manager, user);
      this.emitSnapshot(tx, user, 'created', []);
    });
    return toView(user);
  }

  async list(organizationId: string, query: ListQuery): Promise<{ items: UserView[]; total: number }> {
    const [items, total] = await this.dataSource.getRepository(User).findAndCount({
      where: { organizationId },
      order: { createdAt: 'ASC', id: 'ASC' },
      take: query.limit,
      skip: query.offset,
    });
    return { items: items.map(toView), total };
  }

  async get(organizationId: string, id: string): Promise<UserView> {
    return toView(await this.find(this.dataSource.manager, organizationId, id));
  }

  async update(organizationId: string, id: string, body: UpdateUserBody): Promise<UserView> {
    const passwordHash = body.password ? await argon2.hash(body.password, ARGON2_OPTIONS) : undefined;
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
      assign('state', body.state);
      if (body.customAttributes !== undefined && JSON.stringify(body.customAttributes) !== JSON.stringify(user.customAttributes)) {
        user.customAttributes = body.customAttributes;
        changed.push('customAttributes');
      }
      if (passwordHash) {
        await tx.manager.update(User, { id }, { passwordHash });
      }
      if (changed.length === 0) return toView(user);
      user.version += 1;
      await this.saveUnique(tx.manager, user);
      this.emitSnapshot(tx, user, changed.includes('state') ? { previousState } : 'updated', changed);
      return toView(user);
    });
  }

  async remove(organizationId: string, id: string): Promise<void> {
    await this.outbox.run(async (tx) => {
      const user = await this.find(tx.manager, organizationId, id, true);
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

  /** Answers only "ok" or "invalid": unknown users and wrong passwords look and cost the same. */
  async verifyCredentials(organizationId: string, username: string, password: string) {
    const user = await this.dataSource
      .getRepository(User)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.organization_id = :organizationId', { organizationId })
      .andWhere('(u.username_lower = :login OR u.email_lower = :login)', { login: username.toLowerCase() })
      .getOne();
    const hash = user?.passwordHash ?? (await this.dummyHash);
    const matches = await argon2.verify(hash, password).catch(() => false);
    if (!user?.passwordHash || !matches) return { ok: false as const, reason: 'invalid_credentials' as const };
    if (user.state !== 'ACTIVATED') return { ok: false as const, reason: 'not_active' as const };
    return { ok: true as const, userId: user.id };
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
  private emitSnapshot(tx: OutboxTransaction, user: User, kind: 'created' | 'updated' | { previousState: UserState }, changed: string[]): void {
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

  private async insertUnique(manager: EntityManager, user: User): Promise<void> {
    await manager.insert(User, user).catch((error: unknown) => rethrowUnique(error));
  }

  private async saveUnique(manager: EntityManager, user: User): Promise<void> {
    await manager.save(User, user).catch((error: unknown) => rethrowUnique(error));
  }
}

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
