import { randomUUID } from 'node:crypto';
import { type DataSource, QueryFailedError } from 'typeorm';
import { DomainError, ErrorCode, notFound, type ListQuery, type Page } from '@jit/service';
import { Account, toAccountView, type AccountView } from './account.entity';
import type { CreateLocalAccountBody } from './accounts.dto';

/** What the accounts need of the IdP: the entity an application's assertions come from. */
export interface IdpEntities {
  get(appId: string): Promise<{ entityId: string }>;
}

/** Plain class: Nest builds it with a factory (AccountsModule). */
export class AccountsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly idp: IdpEntities,
    /** DEMO_SP_APP_ID: when set, the only application this SP trusts. */
    private readonly trustedAppId?: string,
  ) {}

  async list(query: ListQuery): Promise<Page<AccountView>> {
    const [items, total] = await this.dataSource.getRepository(Account).findAndCount({
      order: { createdAt: 'ASC', id: 'ASC' },
      take: query.limit,
      skip: query.offset,
    });
    return { items: items.map(toAccountView), total };
  }

  async get(id: string): Promise<AccountView> {
    const account = await this.find(id);
    if (!account) throw notFound('Account', id);
    return account;
  }

  /** The signed-in account of a session, or null when it has been deleted meanwhile. */
  async find(id: string): Promise<AccountView | null> {
    const account = await this.dataSource.getRepository(Account).findOneBy({ id });
    return account && toAccountView(account);
  }

  /**
   * A local account, adoptable by link-by-email only by sign-ins from the IdP entity of `appId`
   * (the trusted application by default): an email proves nothing across organisations.
   */
  async createLocal(body: CreateLocalAccountBody): Promise<AccountView> {
    const appId = body.appId ?? this.trustedAppId;
    if (appId === undefined) {
      throw new DomainError(ErrorCode.ValidationFailed, 'Name the IdP application whose sign-ins may adopt this account', [
        { field: 'appId', message: 'required when DEMO_SP_APP_ID is not set' },
      ]);
    }
    if (this.trustedAppId !== undefined && appId !== this.trustedAppId) {
      throw new DomainError(ErrorCode.ValidationFailed, `This SP trusts only the IdP application ${this.trustedAppId} (DEMO_SP_APP_ID)`, [
        { field: 'appId', message: `not the trusted application ${this.trustedAppId}` },
      ]);
    }
    const issuer = (await this.idp.get(appId)).entityId;
    const now = new Date();
    const repo = this.dataSource.getRepository(Account);
    const account = repo.create({
      id: randomUUID(),
      issuer,
      nameId: null,
      nameIdFormat: null,
      email: body.email,
      emailLower: body.email.toLowerCase(),
      firstname: body.firstname ?? null,
      lastname: body.lastname ?? null,
      attributes: {},
      lastJitAction: null,
      createdAt: now,
      updatedAt: now,
      lastLoginAt: null,
      loginCount: 0,
    });
    try {
      await repo.insert(account);
    } catch (error) {
      if (error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '23505') {
        throw new DomainError(ErrorCode.Conflict, `An account with the email ${body.email} already exists`, [
          { field: 'email', message: 'already used by another account' },
        ]);
      }
      throw error;
    }
    return toAccountView(account);
  }
}
