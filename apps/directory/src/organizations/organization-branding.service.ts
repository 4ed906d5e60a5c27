import { z } from 'zod';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BrandColor, DirectoryEvents, LogoUrl, ORGANIZATION_NAME_MAX } from '@jit/directory-contracts';
import { Outbox } from '@jit/messaging';
import { DomainError, ErrorCode } from '@jit/service';
import { Organization } from './organization.entity';

/** `GET|PATCH /v1/organization`: the caller's organisation as its sign-in pages show it. */
export const OrganizationView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    logoUrl: z.string().nullable().meta({ description: 'An https: URL of the logo shown on the sign-in pages; null for none' }),
    brandColor: z.string().nullable().meta({ description: 'The brand colour (#rrggbb) of the sign-in pages; null for none' }),
  })
  .meta({ id: 'Organization' });
export type OrganizationView = z.infer<typeof OrganizationView>;

/** What an administrator may change; null clears a logo or colour. At least one field. */
export const UpdateOrganizationBody = z
  .strictObject({
    name: z.string().trim().min(1, 'The name must not be empty').max(ORGANIZATION_NAME_MAX).optional(),
    logoUrl: LogoUrl.nullable().optional(),
    // #RRGGBB is taken too, and stored lowercase.
    brandColor: z
      .string()
      .regex(/^#[0-9a-fA-F]{6}$/, 'The brand colour must be #rrggbb (say #0b7285)')
      .transform((c) => c.toLowerCase())
      .pipe(BrandColor)
      .nullable()
      .optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'Send at least one of name, logoUrl and brandColor' });
export type UpdateOrganizationBody = z.infer<typeof UpdateOrganizationBody>;

const FIELDS = ['name', 'logoUrl', 'brandColor'] as const;

function toView(org: Organization): OrganizationView {
  return { id: org.id, name: org.name, logoUrl: org.logoUrl, brandColor: org.brandColor };
}

@Injectable()
export class OrganizationBrandingService {
  private readonly logger = new Logger(OrganizationBrandingService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
  ) {}

  async get(organizationId: string): Promise<OrganizationView> {
    const org = await this.dataSource.manager.findOneBy(Organization, { id: organizationId });
    if (!org) throw new DomainError(ErrorCode.NotFound, 'Organisation not found');
    return toView(org);
  }

  /**
   * Changes what the sign-in pages show; answers once the event is stored in JetStream, so the
   * IdP's pages follow at once. A change to the same values changes nothing and emits nothing.
   */
  async update(organizationId: string, body: UpdateOrganizationBody): Promise<OrganizationView> {
    const { view, changed } = await this.outbox.run(async (tx) => {
      const org = await tx.manager.findOne(Organization, { where: { id: organizationId }, lock: { mode: 'pessimistic_write' } });
      if (!org) throw new DomainError(ErrorCode.NotFound, 'Organisation not found');
      const changedFields = FIELDS.filter((f) => body[f] !== undefined && body[f] !== org[f]);
      if (changedFields.length === 0) return { view: toView(org), changed: changedFields };
      for (const f of changedFields) Object.assign(org, { [f]: body[f] });
      org.version += 1;
      await tx.manager.update(
        Organization,
        { id: organizationId },
        { name: org.name, logoUrl: org.logoUrl, brandColor: org.brandColor, version: org.version },
      );
      tx.emit(DirectoryEvents.organizationUpdated, {
        organizationId,
        version: org.version,
        name: org.name,
        logoUrl: org.logoUrl,
        brandColor: org.brandColor,
        changedFields,
        occurredAt: new Date().toISOString(),
      });
      return { view: toView(org), changed: changedFields };
    });
    if (changed.length > 0) this.logger.log(`Organisation ${organizationId}: sign-in page changed (${changed.join(', ')})`);
    return view;
  }
}
