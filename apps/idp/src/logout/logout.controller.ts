import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BrowserReplies, field, rawQueryOf } from '../common/outcome';
import { LogoutService } from './logout.service';

const AppId = z.uuid();

/** `GET /saml2/:appId/slo` (HTTP-Redirect binding). */
@Controller()
export class LogoutController {
  constructor(
    private readonly logout: LogoutService,
    private readonly browser: BrowserReplies,
  ) {}

  @Get('saml2/:appId/slo')
  async singleLogout(
    @Param('appId') appId: string,
    @Query() query: Record<string, unknown>,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    if (!AppId.safeParse(appId).success) return this.browser.send(reply, this.browser.unknownApp());
    const outcome = await this.logout.singleLogout({
      applicationId: appId,
      samlRequest: field(query.SAMLRequest),
      relayState: field(query.RelayState),
      rawQuery: rawQueryOf(req.url),
      session: this.browser.session(req),
      sourceIp: req.ip,
    });
    return this.browser.send(reply, outcome);
  }
}
