import { Controller, Get, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { MetadataService } from './metadata.service';

const Id = z.uuid();

@Controller('saml2')
export class MetadataController {
  constructor(private readonly metadata: MetadataService) {}

  @Get(':appId/metadata')
  async application(@Param('appId') appId: string, @Res() reply: FastifyReply): Promise<void> {
    const xml = Id.safeParse(appId).success ? await this.metadata.application(appId) : null;
    await this.send(reply, xml, `Application ${appId} was not found`);
  }

  @Get('organizations/:organizationId/metadata')
  async organization(@Param('organizationId') organizationId: string, @Res() reply: FastifyReply): Promise<void> {
    const xml = Id.safeParse(organizationId).success ? await this.metadata.organization(organizationId) : null;
    await this.send(reply, xml, `Organisation ${organizationId} has no applications`);
  }

  private async send(reply: FastifyReply, xml: string | null, notFound: string): Promise<void> {
    if (!xml) {
      await reply.status(404).type('application/json').send({ statusCode: 404, error: 'Not Found', code: 'NOT_FOUND', message: notFound });
      return;
    }
    await reply.type('application/samlmetadata+xml').header('cache-control', 'public, max-age=300').send(xml);
  }
}
