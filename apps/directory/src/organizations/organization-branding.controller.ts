import { Controller, Get, Patch, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, CurrentCaller, RequirePermission, ZodBody, ZodResponse, type Caller } from '@jit/service';
import { OrganizationBrandingService, OrganizationView, UpdateOrganizationBody } from './organization-branding.service';

/** The caller's own organisation: its name, logo and brand colour on the sign-in pages. */
@Controller('v1/organization')
@UseGuards(ApiKeyGuard)
export class OrganizationBrandingController {
  constructor(private readonly branding: OrganizationBrandingService) {}

  @Get()
  @ZodResponse(200, OrganizationView)
  get(@CurrentCaller() caller: Caller): Promise<OrganizationView> {
    return this.branding.get(caller.organizationId);
  }

  @Patch()
  @RequirePermission('settings:manage')
  @ZodResponse(200, OrganizationView)
  update(@CurrentCaller() caller: Caller, @ZodBody(UpdateOrganizationBody) body: UpdateOrganizationBody): Promise<OrganizationView> {
    return this.branding.update(caller.organizationId, body);
  }
}
