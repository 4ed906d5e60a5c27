import { Catch, type ArgumentsHost } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { isDatabaseUnavailable } from '@jit/persistence';
import { ErrorFilter } from '@jit/service';
import { errorPage } from '../sso/html';
import { nonce } from './outcome';

/**
 * The pages a person's browser reaches (sign-in, portal, account, SSO, sign-out) answer an outage
 * of PostgreSQL with a page, not the admin API's JSON: since signed-in sessions are shared through
 * the database, reading one can meet the outage before the page's own code runs. Everything else
 * is the service's usual error answer.
 */
@Catch()
export class BrowserPagesFilter extends ErrorFilter {
  override catch(error: unknown, host: ArgumentsHost): ReturnType<ErrorFilter['catch']> {
    if (host.getType() !== 'http' || !isDatabaseUnavailable(error)) return super.catch(error, host);
    const page = errorPage({
      nonce: nonce(),
      status: 503,
      title: 'Temporarily unavailable',
      message: 'The database (PostgreSQL) is not answering, so your session could not be checked; try again in a moment.',
    });
    void host
      .switchToHttp()
      .getResponse<FastifyReply>()
      .status(503)
      .header('cache-control', 'no-store')
      .header('content-security-policy', page.csp)
      .type('text/html; charset=utf-8')
      .send(page.html);
  }
}
