import { Body, Controller, Get, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BrowserReplies, field, form } from '../common/outcome';
import { AccountService } from './account.service';
import { BrowserPagesFilter } from '../common/browser-pages-filter';

/** `GET /account`, `POST /account/password`, `POST /account/sessions/end-others`, the security devices' `POST /account/mfa/...` and `POST /account/verify`. */
// A database outage reaches these as a page, not JSON (BrowserPagesFilter).
@UseFilters(BrowserPagesFilter)
@Controller('account')
export class AccountController {
  constructor(
    private readonly account: AccountService,
    private readonly browser: BrowserReplies,
  ) {}

  @Get()
  async page(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.browser.send(reply, await this.account.page(await this.browser.session(req)));
  }

  @Post('password')
  async changePassword(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const fields = form(body);
    const outcome = await this.account.changePassword(await this.browser.session(req), {
      csrf: field(fields.csrf),
      currentPassword: field(fields.currentPassword),
      newPassword: field(fields.newPassword),
      repeatPassword: field(fields.repeatPassword),
      sourceIp: req.ip,
    });
    return this.browser.send(reply, outcome);
  }

  @Post('sessions/end-others')
  async endOthers(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.browser.send(reply, await this.account.endOthers(await this.browser.session(req), field(form(body).csrf)));
  }

  @Post('mfa/totp')
  async startTotp(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.browser.send(reply, await this.account.startTotp(await this.browser.session(req), field(form(body).csrf)));
  }

  @Post('mfa/totp/confirm')
  async confirmTotp(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const fields = form(body);
    return this.browser.send(
      reply,
      await this.account.confirmTotp(await this.browser.session(req), { csrf: field(fields.csrf), code: field(fields.code) }),
    );
  }

  @Post('mfa/passkey/start')
  async startPasskey(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.browser.send(reply, await this.account.startPasskey(await this.browser.session(req), field(form(body).csrf)));
  }

  @Post('mfa/passkey')
  async registerPasskey(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const fields = form(body);
    return this.browser.send(
      reply,
      await this.account.registerPasskey(await this.browser.session(req), {
        csrf: field(fields.csrf),
        credential: field(fields.credential),
        name: field(fields.name),
      }),
    );
  }

  @Post('mfa/passkey/rename')
  async renamePasskey(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const fields = form(body);
    return this.browser.send(
      reply,
      await this.account.renamePasskey(await this.browser.session(req), {
        csrf: field(fields.csrf),
        factorId: field(fields.factorId),
        name: field(fields.name),
      }),
    );
  }

  /** "Confirm it's you" before a change of factors: a passkey, a code or (without a factor) the password. */
  @Post('verify')
  async verify(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const fields = form(body);
    return this.browser.send(
      reply,
      await this.account.verify(await this.browser.session(req), {
        csrf: field(fields.csrf),
        code: field(fields.code),
        password: field(fields.password),
        credential: field(fields.credential),
        sourceIp: req.ip,
      }),
    );
  }

  @Post('mfa/remove')
  async removeFactor(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const fields = form(body);
    return this.browser.send(
      reply,
      await this.account.removeFactor(await this.browser.session(req), { csrf: field(fields.csrf), factorId: field(fields.factorId) }),
    );
  }

  @Post('mfa/recovery-codes')
  async regenerateRecoveryCodes(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.browser.send(reply, await this.account.regenerateRecoveryCodes(await this.browser.session(req), field(form(body).csrf)));
  }
}
