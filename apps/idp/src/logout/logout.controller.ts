import { Body, Controller, Get, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BrowserReplies, field, form, rawQueryOf } from '../common/outcome';
import { LogoutService } from './logout.service';
import { SignOutService } from './sign-out.service';
import { BrowserPagesFilter } from '../common/browser-pages-filter';

const AppId = z.uuid();

/**
 * `GET /saml2/:appId/slo` (HTTP-Redirect binding: an SP's LogoutRequest, or its LogoutResponse to
 * the IdP's), `GET|POST /logout` (signing out of the IdP) and `POST /login/another-account`.
 */
// A database outage reaches these as a page, not JSON (BrowserPagesFilter).
@UseFilters(BrowserPagesFilter)
@Controller()
export class LogoutController {
  constructor(
    private readonly logout: LogoutService,
    private readonly signOut: SignOutService,
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
    const samlResponse = field(query.SAMLResponse);
    if (samlResponse !== undefined && query.SAMLRequest === undefined) {
      const outcome = await this.signOut.logoutResponse({
        applicationId: appId,
        samlResponse,
        relayState: field(query.RelayState),
        rawQuery: rawQueryOf(req.url),
      });
      return this.browser.send(reply, outcome);
    }
    const outcome = await this.logout.singleLogout({
      applicationId: appId,
      samlRequest: field(query.SAMLRequest),
      relayState: field(query.RelayState),
      rawQuery: rawQueryOf(req.url),
      session: await this.browser.session(req),
      sourceIp: req.ip,
    });
    return this.browser.send(reply, outcome);
  }

  @Get('logout')
  async signOutPage(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.browser.send(reply, this.signOut.page(await this.browser.session(req)));
  }

  @Post('logout')
  async signOutNow(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.browser.send(reply, await this.signOut.signOut(await this.browser.session(req), field(form(body).csrf)));
  }

  @Post('login/another-account')
  async anotherAccount(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.browser.send(reply, this.signOut.useAnotherAccount(await this.browser.session(req), field(form(body).csrf)));
  }
}
