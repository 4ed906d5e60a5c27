import { Body, Controller, Get, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BrowserReplies, field, form } from '../common/outcome';
import { AccountService } from './account.service';

/** `GET /account`, `POST /account/password` and `POST /account/sessions/end-others`. */
@Controller('account')
export class AccountController {
  constructor(
    private readonly account: AccountService,
    private readonly browser: BrowserReplies,
  ) {}

  @Get()
  async page(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.browser.send(reply, this.account.page(await this.browser.session(req)));
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
    return this.browser.send(reply, this.account.endOthers(await this.browser.session(req), field(form(body).csrf)));
  }
}
