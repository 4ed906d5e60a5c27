import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { IdParam, ListQuery, ZodBody, ZodParam, ZodQuery } from '@jit/service';
import { CreateLocalAccountBody } from './accounts.dto';
import { AccountsService } from './accounts.service';

/** Lets the walk-through and the end-to-end tests watch accounts appear. No auth: it is a demo. */
@Controller('accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Get()
  list(@ZodQuery(ListQuery) query: ListQuery) {
    return this.accounts.list(query);
  }

  @Get(':id')
  get(@ZodParam('id', IdParam) id: string) {
    return this.accounts.get(id);
  }

  /** A pre-existing account (no NameID yet), for showing what link-by-email does with it. */
  @Post()
  @HttpCode(201)
  create(@ZodBody(CreateLocalAccountBody) body: CreateLocalAccountBody) {
    return this.accounts.createLocal(body);
  }
}
