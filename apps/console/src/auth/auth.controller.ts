import { Controller, Get, Inject, Logger, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { DirectoryRpc } from '@jit/directory-contracts';
import { consoleApplicationId } from '@jit/idp-contracts';
import { describe, NatsBus } from '@jit/messaging';
import { DomainError, hashApiKey, httpStatusOf, toErrorBody } from '@jit/service';
import { CONSOLE_CONFIG, type ConsoleConfig } from '../config';
import {
  endSession,
  pendingLogoutOrganization,
  SECURE_SESSION_COOKIE,
  SESSION_COOKIE,
  startLogout,
  startSignedInSession,
} from '../session/console-session';
import { SessionQueries } from '../session/session-queries';
import { requireSession } from '../session/session.guard';
import { ConsoleSaml, SamlRejectedError } from './console-saml';
import { messagePage, sendPage } from './pages';

const OrganizationId = z.uuid();

const REFUSED: Record<'not_found' | 'not_active' | 'no_admin_role', (who: string, org: string) => [string, string]> = {
  no_admin_role: (who, org) => [
    'No admin role',
    `You are signed in as ${who} but hold no admin role in ${org}. Ask an administrator for one.`,
  ],
  not_active: (who) => [
    'Account not active',
    `The account ${who} is not active (suspended or not yet activated), so it may not use the console.`,
  ],
  not_found: (who, org) => ['Unknown account', `The directory has no account ${who} in ${org}.`],
};

/** Sign-in and sign-out: the console is a SAML SP of the organisation's IdP application. */
@ApiExcludeController()
@Controller()
export class AuthController {
  private readonly logger = new Logger(AuthController.name);
  private defaultOrganizationId?: string;

  constructor(
    private readonly saml: ConsoleSaml,
    private readonly bus: NatsBus,
    private readonly sessions: SessionQueries,
    @Inject(CONSOLE_CONFIG) private readonly config: ConsoleConfig,
  ) {}

  @Get('auth/login')
  async login(@Req() req: Request, @Res() res: Response): Promise<void> {
    const named = req.query.organization;
    const organizationId = named === undefined ? await this.defaultOrganization() : OrganizationId.safeParse(named).data;
    if (!organizationId) {
      const why = named === undefined ? 'No organisation was given' : 'The organisation is not a valid id';
      sendPage(
        res,
        400,
        messagePage(
          'Which organisation?',
          `${why}. Open /auth/login?organization=<organisation id> (your administrator has the link), or start the console with CONSOLE_DEFAULT_ORGANIZATION_ID (or BOOTSTRAP_ADMIN_API_KEY, whose organisation is the default).`,
        ),
      );
      return;
    }
    try {
      res.redirect(302, await this.saml.authnRequestUrl(req, organizationId));
    } catch (error) {
      this.answerError(res, error, 'Cannot start the sign-in');
    }
  }

  /**
   * CONSOLE_DEFAULT_ORGANIZATION_ID, else the default organisation of the directory: the one its
   * bootstrap key reaches, asked by the key's hash as every service asks about an API key. Found
   * once; until then asked again on each sign-in without an organisation.
   */
  private async defaultOrganization(): Promise<string | undefined> {
    if (this.config.CONSOLE_DEFAULT_ORGANIZATION_ID) return this.config.CONSOLE_DEFAULT_ORGANIZATION_ID;
    if (this.defaultOrganizationId || !this.config.BOOTSTRAP_ADMIN_API_KEY) return this.defaultOrganizationId;
    try {
      const answer = await this.bus.request(DirectoryRpc.resolveApiKey, { apiKeyHash: hashApiKey(this.config.BOOTSTRAP_ADMIN_API_KEY) });
      this.defaultOrganizationId = answer.organizationId ?? undefined;
    } catch (error) {
      this.logger.warn(`Could not ask the directory for the default organisation: ${describe(error)}`);
    }
    return this.defaultOrganizationId;
  }

  @Post('saml/acs')
  async acs(@Req() req: Request, @Res() res: Response): Promise<void> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const organizationId = OrganizationId.safeParse(body.RelayState).data;
    if (!organizationId) {
      sendPage(
        res,
        400,
        messagePage('Unknown organisation', 'The response carries no RelayState naming the organisation: start again from the sign-in.'),
      );
      return;
    }
    try {
      const profile = await this.saml.acceptResponse(req, organizationId);
      const answer = await this.bus.request(DirectoryRpc.openAdminSession, { organizationId, userId: profile.userId });
      if (!answer.ok) {
        const [title, message] = REFUSED[answer.reason](profile.username ?? profile.userId, `organisation ${organizationId}`);
        this.logger.warn({ organizationId, userId: profile.userId, reason: answer.reason }, 'Console sign-in refused');
        sendPage(res, 403, messagePage(title, message, { href: '/', text: 'Back' }));
        return;
      }
      await startSignedInSession(req, {
        token: answer.token,
        expiresAt: answer.expiresAt,
        role: answer.role,
        permissions: answer.permissions,
        user: answer.user,
        organization: answer.organization,
        saml: profile.saml,
      });
      this.logger.log({ organizationId, userId: answer.user.id, role: answer.role }, 'Signed in to the console');
      res.redirect(303, '/');
    } catch (error) {
      this.answerError(res, error, 'Sign-in failed');
    }
  }

  @Get('saml/metadata')
  metadata(@Res() res: Response): void {
    res.type('application/samlmetadata+xml').send(this.saml.spMetadataXml());
  }

  /**
   * Ends the directory's token at once, then the IdP session: by Single Logout when the console
   * has a signing key (the IdP accepts only signed LogoutRequests), otherwise by taking the person
   * to the IdP's own sign-out page, which ends the IdP session and the other applications'.
   * Answers where the browser goes next.
   */
  @Post('auth/logout')
  async logout(@Req() req: Request, @Res() res: Response): Promise<void> {
    const session = requireSession(req);
    try {
      await this.bus.request(DirectoryRpc.closeAdminSession, { token: session.token });
    } catch (error) {
      // The token still ends by itself (8 hours at most); the browser's session ends here regardless.
      this.logger.warn(`The directory did not confirm the end of an admin session: ${describe(error)}`);
    }
    const url = await this.saml.logoutRequestUrl(session.organization.id, session.saml).catch((error: unknown) => {
      this.logger.warn(`No Single Logout at the IdP: ${describe(error)}`);
      return null;
    });
    if (url) await startLogout(req, session.organization.id);
    else await endSession(req);
    if (!url) res.clearCookie(this.cookieName());
    const redirect = url ?? (await this.saml.idpSignOutUrl(session.organization.id).catch(() => '/'));
    res.status(200).json({ redirect });
  }

  /** The IdP's LogoutResponse to ours (the console's session already ended at /auth/logout), or its own LogoutRequest. */
  @Get('saml/logout')
  async sloGet(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.slo(req, res);
  }

  @Post('saml/logout')
  async sloPost(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.slo(req, res);
  }

  private async slo(req: Request, res: Response): Promise<void> {
    if (req.query.SAMLRequest !== undefined) return this.idpLogoutRequest(req, res);
    // RelayState names the organisation: the session cookie (SameSite=Strict) does not come with the IdP's redirect.
    const organizationId = OrganizationId.safeParse(req.query.RelayState).data ?? pendingLogoutOrganization(req);
    if (!organizationId) {
      sendPage(res, 400, messagePage('No logout in progress', 'This browser did not start a sign-out here.'));
      return;
    }
    try {
      await this.saml.acceptLogoutResponse(req, organizationId);
      await endSession(req);
      res.clearCookie(this.cookieName());
      res.redirect(303, '/');
    } catch (error) {
      this.answerError(res, error, 'Sign-out not confirmed');
    }
  }

  /**
   * The person signed out at the IdP, which sends them through every SP they signed in to. The
   * console's cookie (SameSite=Strict) does not come with this cross-site redirect, so their
   * sessions are found by the NameID the verified request names (their user id) in the
   * organisation of its console application: each token is ended, each session deleted.
   */
  private async idpLogoutRequest(req: Request, res: Response): Promise<void> {
    try {
      const request = await this.saml.acceptLogoutRequest(req);
      const sessions = await this.sessions.signedInAs(request.nameID);
      let ended = 0;
      for (const { sid, signedIn } of sessions) {
        if (consoleApplicationId(signedIn.organization.id) !== request.appId) continue;
        await this.bus
          .request(DirectoryRpc.closeAdminSession, { token: signedIn.token })
          .catch((error: unknown) => this.logger.warn(`The directory did not confirm the end of an admin session: ${describe(error)}`));
        await this.sessions.delete(sid);
        ended++;
      }
      if (ended > 0) this.logger.log({ appId: request.appId, userId: request.nameID, sessions: ended }, 'Signed out by the IdP');
      // Success whether or not a session was here: that person has none at the console now.
      res.redirect(302, await request.responseUrl(true));
    } catch (error) {
      this.answerError(res, error, 'Logout request rejected');
    }
  }

  private cookieName(): string {
    return this.config.CONSOLE_URL.startsWith('https:') ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
  }

  /** Failures become a readable page (never a stack). */
  private answerError(res: Response, error: unknown, title: string): void {
    if (error instanceof SamlRejectedError) {
      this.logger.warn({ reason: error.message }, 'SAML message rejected');
      sendPage(res, 401, messagePage(title, `The IdP's answer was rejected: ${error.message}`));
      return;
    }
    if (error instanceof DomainError) {
      const status = httpStatusOf(error.code);
      this.logger.warn({ code: error.code, reason: error.message }, title);
      sendPage(res, status, messagePage(title, error.message));
      return;
    }
    // The directory or the bus not answering, say: the same reason as the API would give, as a page.
    const body = toErrorBody(error, this.logger);
    sendPage(res, body.statusCode, messagePage(title, body.message));
  }
}
