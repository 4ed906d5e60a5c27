import { Injectable } from '@nestjs/common';
import { BusUnavailableError, RpcRemoteError } from '@jit/messaging';
import { isDatabaseUnavailable } from '@jit/persistence';
import { buildErrorResponse } from '@jit/saml';
import { AuditService } from '../audit/audit.service';
import { SigningKeysService } from '../keys/signing-keys.service';
import { ReadModelService, type ReadApplicationView } from '../read-model/read-model.service';
import { autoPostPage, errorPage, type PageAction } from '../sso/html';
import { IdpUrls } from './idp-urls';
import { nonce, type SsoOutcome } from './outcome';
import { Refusal } from './refusals';

/** Who a refusal answers: the application asked for, the signed-in user if any, the client address. */
export interface RefusedRequest {
  applicationId: string;
  userId: string | null;
  sourceIp: string | null;
}

/**
 * The one place a refusal is answered: its audit event, then the page from the REFUSALS table, or,
 * for the SAML profile's own failures once the ACS is verified, a signed status Response to it.
 */
@Injectable()
export class RefusalResponder {
  constructor(
    private readonly readModel: ReadModelService,
    private readonly keys: SigningKeysService,
    private readonly urls: IdpUrls,
    private readonly audit: AuditService,
  ) {}

  /**
   * Runs `work`; a Refusal it throws becomes the answer (its page offering `action`, when given),
   * and so does PostgreSQL being out of reach (database_unavailable, 503) or the directory not
   * answering a password check (directory_unavailable, 503): a person is told to try again, not
   * shown a server error. Anything else is left to the 500 handler.
   */
  async guard(who: RefusedRequest, work: () => Promise<SsoOutcome>, action?: PageAction): Promise<SsoOutcome> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof Refusal) return this.answer(who, error, action);
      if (isDatabaseUnavailable(error)) return this.answer(who, new Refusal('database_unavailable'), action);
      if (directoryUnavailable(error)) return this.answer(who, new Refusal('directory_unavailable'), action);
      throw error;
    }
  }

  async answer({ applicationId, userId, sourceIp }: RefusedRequest, refusal: Refusal, action?: PageAction): Promise<SsoOutcome> {
    const app = this.readModel.application(applicationId);
    this.audit.refused({
      organizationId: app?.organizationId ?? null,
      applicationId,
      userId,
      reason: refusal.reason,
      detail: refusal.message,
      sourceIp,
    });
    if (app && refusal.pending && refusal.rule.saml) return this.statusResponse(app, refusal);
    return {
      kind: 'page',
      page: errorPage({
        nonce: nonce(),
        status: refusal.status,
        title: refusal.title,
        message: refusal.message,
        action,
        // The organisation of the application asked for: the page it refuses in is that organisation's.
        organization: app ? this.readModel.organization(app.organizationId) : null,
      }),
    };
  }

  private async statusResponse(app: ReadApplicationView, refusal: Refusal): Promise<SsoOutcome> {
    const pending = refusal.pending!;
    const saml = refusal.rule.saml!;
    const credentials = await this.keys.forOrganization(app.organizationId);
    const xml = await buildErrorResponse({
      issuer: this.urls.entityId(app.id),
      destination: pending.acsUrl,
      inResponseTo: pending.requestId ?? undefined,
      statusCode: saml.statusCode,
      subStatusCode: saml.subStatusCode,
      statusMessage: refusal.message,
      credentials,
      signatureAlgorithm: app.snapshot.signatureAlgorithm,
    });
    return {
      kind: 'page',
      page: autoPostPage({ nonce: nonce(), acsUrl: pending.acsUrl, responseXml: xml, relayState: pending.relayState }),
    };
  }
}

/** The directory could not answer: the bus did not deliver or time out, or its database is down. */
function directoryUnavailable(error: unknown): boolean {
  return error instanceof BusUnavailableError || (error instanceof RpcRemoteError && error.code === 'DEPENDENCY_UNAVAILABLE');
}
