import { Body, Controller, Get, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BrowserReplies, field, form } from '../common/outcome';
import { LoginService } from './login.service';
import { BrowserPagesFilter } from '../common/browser-pages-filter';

const OrganizationId = z.uuid();

/** `GET|POST /login`, the second step (`/login/mfa`, `/login/passkey`) and the portal `GET /`. */
// A database outage reaches these as a page, not JSON (BrowserPagesFilter).
@UseFilters(BrowserPagesFilter)
@Controller()
export class LoginController {
  constructor(
    private readonly login: LoginService,
    private readonly browser: BrowserReplies,
  ) {}

  @Get()
  async portal(@Query() query: Record<string, unknown>, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const organization = field(query.organization);
    const organizationId = organization && OrganizationId.safeParse(organization).success ? organization : undefined;
    return this.browser.send(reply, await this.login.portal(await this.browser.session(req), organizationId));
  }

  @Get('login')
  async loginForm(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.browser.send(reply, await this.login.loginForm(await this.browser.session(req), req.ip));
  }

  @Post('login')
  async signIn(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const fields = form(body);
    const outcome = await this.login.login(await this.browser.session(req), {
      csrf: field(fields.csrf),
      username: field(fields.username),
      password: field(fields.password),
      sourceIp: req.ip,
    });
    return this.browser.send(reply, outcome);
  }

  @Get('login/mfa')
  async secondStepForm(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.browser.send(reply, await this.login.secondStepForm(await this.browser.session(req), req.ip));
  }

  @Post('login/mfa')
  async secondStep(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const fields = form(body);
    const outcome = await this.login.secondStep(await this.browser.session(req), {
      csrf: field(fields.csrf),
      code: field(fields.code),
      sourceIp: req.ip,
    });
    return this.browser.send(reply, outcome);
  }

  /** A passkey's answer: passwordless from the login page, or the second step. */
  @Post('login/passkey')
  async passkeySignIn(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const fields = form(body);
    const outcome = await this.login.passkeySignIn(await this.browser.session(req), {
      csrf: field(fields.csrf),
      credential: field(fields.credential),
      sourceIp: req.ip,
    });
    return this.browser.send(reply, outcome);
  }

  /** A passkey created at the sign-in's enrolment step. */
  @Post('login/passkey/register')
  async passkeyRegister(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const fields = form(body);
    const outcome = await this.login.passkeyRegister(await this.browser.session(req), {
      csrf: field(fields.csrf),
      credential: field(fields.credential),
      name: field(fields.name),
      sourceIp: req.ip,
    });
    return this.browser.send(reply, outcome);
  }

  @Post('login/continue')
  async continueSignIn(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.browser.send(reply, await this.login.continueSignIn(await this.browser.session(req), field(form(body).csrf), req.ip));
  }
}
