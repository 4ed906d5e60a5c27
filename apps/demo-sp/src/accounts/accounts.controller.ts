import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { IdParam, ListQuery, ZodPipe } from '@jit/service';
import { CreateLocalAccountBody } from './accounts.dto';
import { AccountsService } from './accounts.service';

/** Lets the walk-through and the end-to-end tests watch accounts appear. No auth: it is a demo. */
@Controller('accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Get()
  list(@Query(new ZodPipe(ListQuery)) query: ListQuery) {
    return this.accounts.list(query);
  }

  @Get(':id')
  get(@Param('id', new ZodPipe(IdParam)) id: string) {
    return this.accounts.get(id);
  }

  /** A pre-existing account (no NameID yet), for showing what link-by-email does with it. */
  @Post()
  @HttpCode(201)
  create(@Body(new ZodPipe(CreateLocalAccountBody)) body: CreateLocalAccountBody) {
    return this.accounts.createLocal(body);
  }
}
