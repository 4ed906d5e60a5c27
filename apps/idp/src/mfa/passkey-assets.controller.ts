import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { PASSKEYS_SCRIPT, webAuthnBrowserBundle } from './passkey-script';

/**
 * The passkey pages' two scripts, from the IdP's own origin (the pages' CSP is `script-src
 * 'self'`, nothing inline): @simplewebauthn/browser's bundle and the pages' script.
 */
@Controller('assets')
export class PasskeyAssetsController {
  private readonly bundle = webAuthnBrowserBundle();

  @Get('simplewebauthn-browser.js')
  browserLibrary(@Res() reply: FastifyReply) {
    return this.script(reply, this.bundle);
  }

  @Get('passkeys.js')
  pageScript(@Res() reply: FastifyReply) {
    return this.script(reply, PASSKEYS_SCRIPT);
  }

  private script(reply: FastifyReply, body: string) {
    return reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .header('x-content-type-options', 'nosniff')
      .send(body);
  }
}
