import { Body, Controller, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { IDP_CONFIG, type IdpConfig } from '../config';
import { SESSION_COOKIE, SessionStore } from '../sessions/session-store';
import { errorPage } from './html';
import { SsoService, type SsoOutcome } from './sso.service';

const AppId = z.uuid();
/** Form and query fields arrive as strings, or arrays when repeated: only a single string counts. */
const field = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const form = (body: unknown): Record<string, unknown> => (body && typeof body === 'object' ? (body as Record<string, unknown>) : {});

/** The query exactly as it arrived: a Redirect-binding signature covers these octets. */
const rawQueryOf = (url: string): string => {
  const at = url.indexOf('?');
  return at < 0 ? '' : url.slice(at + 1);
};

/** The SAML endpoints, the login form and the portal; all decisions live in SsoService. */
@Controller()
export class SsoController {
  constructor(
    private readonly sso: SsoService,
    private readonly sessions: SessionStore,
    @Inject(IDP_CONFIG) private readonly config: IdpConfig,
  ) {}

  @Get('saml2/:appId/metadata')
  async metadata(@Param('appId') appId: string, @Res() reply: FastifyReply): Promise<void> {
    const xml = AppId.safeParse(appId).success ? await this.sso.metadata(appId) : null;
    if (!xml) {
      await reply
        .status(404)
        .type('application/json')
        .send({ statusCode: 404, error: 'Not Found', code: 'NOT_FOUND', message: `Application ${appId} was not found` });
      return;
    }
    await reply.type('application/samlmetadata+xml').header('cache-control', 'public, max-age=300').send(xml);
  }

  @Get('saml2/organizations/:organizationId/metadata')
  async organizationMetadata(@Param('organizationId') organizationId: string, @Res() reply: FastifyReply): Promise<void> {
    const xml = AppId.safeParse(organizationId).success ? await this.sso.organizationMetadata(organizationId) : null;
    if (!xml) {
      await reply
        .status(404)
        .type('application/json')
        .send({ statusCode: 404, error: 'Not Found', code: 'NOT_FOUND', message: `Organisation ${organizationId} has no applications` });
      return;
    }
    await reply.type('application/samlmetadata+xml').header('cache-control', 'public, max-age=300').send(xml);
  }

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
    if (!AppId.safeParse(appId).success) return this.send(reply, this.unknownApp());
    return this.send(reply, await this.sso.idpInitiated(appId, field(query.RelayState), this.session(req)));
  }

  @Get()
  async portal(@Query() query: Record<string, unknown>, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const organization = field(query.organization);
    return this.send(
      reply,
      await this.sso.portal(this.session(req), organization && AppId.safeParse(organization).success ? organization : undefined),
    );
  }

  @Get('saml2/:appId/slo')
  async singleLogout(
    @Param('appId') appId: string,
    @Query() query: Record<string, unknown>,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    if (!AppId.safeParse(appId).success) return this.send(reply, this.unknownApp());
    const outcome = await this.sso.singleLogout({
      applicationId: appId,
      samlRequest: field(query.SAMLRequest),
      relayState: field(query.RelayState),
      rawQuery: rawQueryOf(req.url),
      session: this.session(req),
    });
    return this.send(reply, outcome);
  }

  @Get('login')
  async loginForm(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.send(reply, await this.sso.loginForm(this.session(req)));
  }

  @Post('login')
  async login(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const fields = form(body);
    const outcome = await this.sso.login(this.session(req), {
      csrf: field(fields.csrf),
      username: field(fields.username),
      password: field(fields.password),
      sourceIp: req.ip,
    });
    return this.send(reply, outcome);
  }

  private async spInitiated(
    appId: string,
    binding: 'redirect' | 'post',
    fields: Record<string, unknown>,
    req: FastifyRequest,
    reply: FastifyReply,
  ) {
    if (!AppId.safeParse(appId).success) return this.send(reply, this.unknownApp());
    const outcome = await this.sso.spInitiated({
      applicationId: appId,
      binding,
      samlRequest: field(fields.SAMLRequest),
      relayState: field(fields.RelayState),
      rawQuery: binding === 'redirect' ? rawQueryOf(req.url) : undefined,
      session: this.session(req),
    });
    return this.send(reply, outcome);
  }

  private session(req: FastifyRequest) {
    return this.sessions.get(req.cookies[SESSION_COOKIE]);
  }

  private unknownApp(): SsoOutcome {
    return {
      kind: 'page',
      page: errorPage({ nonce: 'x', status: 404, title: 'Unknown application', message: 'There is no application at this address.' }),
    };
  }

  private async send(reply: FastifyReply, outcome: SsoOutcome): Promise<void> {
    if (outcome.session) {
      reply.setCookie(SESSION_COOKIE, outcome.session.id, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: this.config.IDP_BASE_URL.startsWith('https:'),
      });
    }
    reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').header('x-content-type-options', 'nosniff');
    if (outcome.kind === 'redirect' && outcome.clearSession) reply.clearCookie(SESSION_COOKIE, { path: '/' });
    if (outcome.kind === 'redirect') {
      await reply.status(302).header('location', outcome.location).send();
      return;
    }
    await reply
      .status(outcome.page.status)
      .header('content-security-policy', outcome.page.csp)
      .type('text/html; charset=utf-8')
      .send(outcome.page.html);
  }
}
