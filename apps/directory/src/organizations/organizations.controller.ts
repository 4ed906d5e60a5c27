import { Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { z } from 'zod';
import { ApiKeyGuard, CurrentCaller, ZodBody, ZodResponse, type Caller } from '@jit/service';
import { DirectoryRpc } from '@jit/directory-contracts';
import { AnswerRpc, type RequestOf, type ResponseOf } from '@jit/messaging';
import { AdminSessionsService } from '../roles/admin-sessions.service';
import { CreatedOrganization, OrganizationsService } from './organizations.service';

const CreateOrganizationBody = z.strictObject({ name: z.string().trim().min(1).max(200) });

@Controller('v1/organizations')
@UseGuards(ApiKeyGuard)
export class OrganizationsController {
  constructor(private readonly organizations: OrganizationsService) {}

  @Post()
  @HttpCode(201)
  @ZodResponse(201, CreatedOrganization)
  create(
    @CurrentCaller() caller: Caller,
    @ZodBody(CreateOrganizationBody) body: z.infer<typeof CreateOrganizationBody>,
  ): Promise<CreatedOrganization> {
    return this.organizations.create(caller, body.name);
  }
}

@Controller()
export class OrganizationsHandler {
  constructor(
    private readonly organizations: OrganizationsService,
    private readonly sessions: AdminSessionsService,
  ) {}

  @AnswerRpc(DirectoryRpc.resolveApiKey)
  async resolveApiKey(
    @Payload() request: RequestOf<typeof DirectoryRpc.resolveApiKey>,
  ): Promise<ResponseOf<typeof DirectoryRpc.resolveApiKey>> {
    if (request.kind === 'admin-session') {
      const person = await this.sessions.person(request.apiKeyHash);
      return person
        ? { organizationId: person.organizationId, bootstrap: false, actor: person.actor }
        : { organizationId: null, bootstrap: false };
    }
    const caller = await this.organizations.resolve(request.apiKeyHash);
    return { organizationId: caller?.organizationId ?? null, bootstrap: caller?.bootstrap ?? false };
  }
}
