import { Body, Controller, Get, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BrowserReplies, field, form, rawQueryOf } from '../common/outcome';
import { SsoService } from './sso.service';
import { BrowserPagesFilter } from '../common/browser-pages-filter';

const AppId = z.uuid();

/** The SSO endpoints; the decisions live in SsoService. */
// A database outage reaches these as a page, not JSON (BrowserPagesFilter).
@UseFilters(BrowserPagesFilter)
@Controller()
export class SsoController {
  constructor(
    private readonly sso: SsoService,
    private readonly browser: BrowserReplies,
  ) {}

  @Get('saml2/:appId/sso')
  redirectBinding(
    @Param('appId') appId: string,
    @Query() query: Record<string, unknown>,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    return this.spInitiated(appId, 'redirect', query, req, reply);
  }

  @Post('saml2/:appId/sso')
  postBinding(@Param('appId') appId: string, @Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.spInitiated(appId, 'post', form(body), req, reply);
  }

  @Get('saml2/:appId/init')
  async idpInitiated(
    @Param('appId') appId: string,
    @Query() query: Record<string, unknown>,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    if (!AppId.safeParse(appId).success) return this.browser.send(reply, this.browser.unknownApp());
    return this.browser.send(
      reply,
      await this.sso.idpInitiated(appId, field(query.RelayState), await this.browser.ssoSession(req), req.ip),
    );
  }

  private async spInitiated(
    appId: string,
    binding: 'redirect' | 'post',
    fields: Record<string, unknown>,
    req: FastifyRequest,
    reply: FastifyReply,
  ) {
    if (!AppId.safeParse(appId).success) return this.browser.send(reply, this.browser.unknownApp());
    const outcome = await this.sso.spInitiated({
      applicationId: appId,
      binding,
      samlRequest: field(fields.SAMLRequest),
      relayState: field(fields.RelayState),
      rawQuery: binding === 'redirect' ? rawQueryOf(req.url) : undefined,
      session: await this.browser.ssoSession(req),
      sourceIp: req.ip,
    });
    return this.browser.send(reply, outcome);
  }
}
