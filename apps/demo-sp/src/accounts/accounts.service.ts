import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError } from 'typeorm';
import { DomainError, ErrorCode, notFound, type ListQuery, type Page } from '@jit/service';
import { Account, toAccountView, type AccountView } from './account.entity';
import type { CreateLocalAccountBody } from './accounts.dto';

@Injectable()
export class AccountsService {
  constructor(private readonly dataSource: DataSource) {}

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

  async createLocal(body: CreateLocalAccountBody): Promise<AccountView> {
    const now = new Date();
    const repo = this.dataSource.getRepository(Account);
    const account = repo.create({
      id: randomUUID(),
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
