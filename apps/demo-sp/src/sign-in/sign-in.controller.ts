import { Controller, Get, Inject, Logger, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError, httpStatusOf } from '@jit/service';
import { AccountsService } from '../accounts/accounts.service';
import { errorPage, homePage, type HomeView } from './pages';
import {
  endSession,
  pendingApp,
  pendingLogoutApp,
  rememberPendingApp,
  SESSION_COOKIE,
  signedIn,
  startLogout,
  startSignedInSession,
} from './session';
import { SamlRejectedError, SignInService } from './sign-in.service';

export const HOME_SETTINGS = Symbol('HOME_SETTINGS');
export type HomeSettings = Omit<HomeView, 'signedIn'>;

@Controller()
export class SignInController {
  private readonly logger = new Logger(SignInController.name);

  constructor(
    private readonly signIn: SignInService,
    private readonly accounts: AccountsService,
    @Inject(HOME_SETTINGS) private readonly settings: HomeSettings,
  ) {}

  @Get()
  async home(@Req() req: Request, @Res() res: Response): Promise<void> {
    const session = signedIn(req);
    // The account may have been deleted since: then the browser is simply signed out.
    const account = session && (await this.accounts.find(session.accountId));
    sendPage(res, 200, homePage({ ...this.settings, signedIn: session && account ? { session, account } : undefined }));
  }

  @Get('login')
  async login(@Req() req: Request, @Res() res: Response): Promise<void> {
    const appId = this.signIn.resolveAppId(req.query.app);
    if (!appId) {
      const trusted = this.signIn.trustedAppId;
      if (trusted !== undefined) {
        sendPage(res, 400, errorPage(400, 'Untrusted application', `This SP trusts only the IdP application ${trusted} (DEMO_SP_APP_ID).`));
        return;
      }
      const why = req.query.app === undefined ? 'No application was given' : 'The application id is not valid';
      sendPage(
        res,
        400,
        errorPage(400, 'No application', `${why}: open /login?app=<IdP application id>, or start the SP with DEMO_SP_APP_ID.`),
      );
      return;
    }
    try {
      const url = await this.signIn.authnRequestUrl(req, appId);
      rememberPendingApp(req, appId);
      res.redirect(302, url);
    } catch (error) {
      this.answerError(res, error, 'Cannot start the sign-in');
    }
  }

  @Post('saml/acs')
  async acs(@Req() req: Request, @Res() res: Response): Promise<void> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    // An IdP-initiated Response (when allowed) names its application by its Issuer, whatever sign-in
    // this browser started before.
    const appId = this.signIn.resolveAppId(body.RelayState, this.signIn.unsolicitedAppId(body.SAMLResponse), pendingApp(req));
    if (!appId) {
      const trusted = this.signIn.trustedAppId;
      const why =
        trusted !== undefined
          ? `The response names another IdP application than ${trusted}, the only one this SP trusts (DEMO_SP_APP_ID).`
          : 'The response carries no RelayState naming the IdP application, and no sign-in is in progress in this browser.';
      this.logger.warn({ relayState: typeof body.RelayState === 'string' ? body.RelayState.slice(0, 80) : undefined }, why);
      sendPage(res, 400, errorPage(400, 'Unknown application', why));
      return;
    }
    try {
      const { account, action, saml } = await this.signIn.acceptResponse(req, appId);
      await startSignedInSession(req, { accountId: account.id, appId, jitAction: action, signedInAt: new Date().toISOString(), saml });
      this.logger.log({ appId, accountId: account.id, action }, 'Signed in');
      res.redirect(303, '/');
    } catch (error) {
      this.answerError(res, error, 'Sign-in failed', appId);
    }
  }

  @Get('saml/metadata')
  metadata(@Res() res: Response): void {
    res.type('application/samlmetadata+xml').send(this.signIn.spMetadataXml());
  }

  /** Signs out here, and at the IdP too (SP-initiated Single Logout) when the IdP offers it. */
  @Get('logout')
  async logout(@Req() req: Request, @Res() res: Response): Promise<void> {
    const session = signedIn(req);
    const url = session?.saml ? await this.signIn.logoutUrl(req, session.appId, session.saml).catch(() => null) : null;
    if (session && url) {
      await startLogout(req, session.appId);
      res.redirect(302, url);
      return;
    }
    await endSession(req);
    res.clearCookie(SESSION_COOKIE);
    res.redirect(302, '/');
  }

  /**
   * HTTP-Redirect Single Logout: the IdP's LogoutRequest (signing out at the IdP ends the session
   * here too), or its LogoutResponse to ours (the local session already ended at /logout).
   */
  @Get('saml/slo')
  async slo(@Req() req: Request, @Res() res: Response): Promise<void> {
    if (req.query.SAMLRequest !== undefined) return this.idpLogoutRequest(req, res);
    const appId = pendingLogoutApp(req);
    if (!appId) {
      sendPage(res, 400, errorPage(400, 'No logout in progress', 'This browser did not start a logout here.'));
      return;
    }
    try {
      await this.signIn.acceptLogoutResponse(req, appId);
      await endSession(req);
      res.clearCookie(SESSION_COOKIE);
      res.redirect(303, '/?logged-out=1');
    } catch (error) {
      this.answerError(res, error, 'Logout not confirmed', appId);
    }
  }

  private async idpLogoutRequest(req: Request, res: Response): Promise<void> {
    try {
      const { appId, endsSession, responseUrl } = await this.signIn.acceptLogoutRequest(req, signedIn(req));
      if (endsSession) {
        await endSession(req);
        res.clearCookie(SESSION_COOKIE);
        this.logger.log({ appId }, 'Signed out by the IdP');
      }
      res.redirect(302, responseUrl);
    } catch (error) {
      this.answerError(res, error, 'Logout request rejected');
    }
  }

  /** Expected failures become a readable page (never a stack); anything else goes to the ErrorFilter. */
  private answerError(res: Response, error: unknown, title: string, appId?: string): void {
    if (error instanceof SamlRejectedError) {
      this.logger.warn({ appId, reason: error.message }, 'SAML response rejected');
      sendPage(res, 401, errorPage(401, title, `The IdP's response was rejected: ${error.message}`));
      return;
    }
    if (error instanceof DomainError) {
      const status = httpStatusOf(error.code);
      this.logger.warn({ appId, code: error.code, reason: error.message }, title);
      sendPage(res, status, errorPage(status, title, error.message));
      return;
    }
    throw error;
  }
}

function sendPage(res: Response, status: number, html: string): void {
  res
    .status(status)
    // Pages show personal data: not cached, and no script can run even if escaping were missed.
    .set({ 'Cache-Control': 'no-store', 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'" })
    .type('html')
    .send(html);
}
