import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, CurrentCaller, IdParam, ListQuery, ZodPipe, type Caller } from '@jit/service';
import { CreateUserBody, UpdateUserBody } from './users.dto';
import { UsersService } from './users.service';

@Controller('v1/users')
@UseGuards(ApiKeyGuard)
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @HttpCode(201)
  create(@CurrentCaller() caller: Caller, @Body(new ZodPipe(CreateUserBody)) body: CreateUserBody) {
    return this.users.create(caller.organizationId, body);
  }

  @Get()
  list(@CurrentCaller() caller: Caller, @Query(new ZodPipe(ListQuery)) query: ListQuery) {
    return this.users.list(caller.organizationId, query);
  }

  @Get(':id')
  get(@CurrentCaller() caller: Caller, @Param('id', new ZodPipe(IdParam)) id: string) {
    return this.users.get(caller.organizationId, id);
  }

  @Patch(':id')
  update(
    @CurrentCaller() caller: Caller,
    @Param('id', new ZodPipe(IdParam)) id: string,
    @Body(new ZodPipe(UpdateUserBody)) body: UpdateUserBody,
  ) {
    return this.users.update(caller.organizationId, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentCaller() caller: Caller, @Param('id', new ZodPipe(IdParam)) id: string): Promise<void> {
    await this.users.remove(caller.organizationId, id);
  }
}
