import type { Counter } from 'prom-client';
import {
  IdpEvents,
  MFA_METHODS,
  MFA_REJECTION_REASONS,
  MISSING_ATTRIBUTE_PREFIX,
  REFUSAL_REASONS,
  type RefusalReason,
} from '@jit/idp-contracts';
import type { ServiceMetrics } from '@jit/service';

/** `missing_required_attribute:<name>` counts under its prefix: attribute names are not a bounded set. */
const MISSING_ATTRIBUTE = MISSING_ATTRIBUTE_PREFIX.slice(0, -1);

/**
 * Sign-in outcomes as Prometheus counters, fed by the audit trail: every assertion and every
 * refusal the IdP audits passes through here, so the counters and the IDP stream agree.
 */
export class AuditMetrics {
  private readonly issued: Counter<'initiated_by'>;
  private readonly refused: Counter<'reason'>;
  private readonly loggedOut: Counter;
  private readonly mfaChecks: Counter<'outcome'>;

  constructor(metrics: ServiceMetrics) {
    this.issued = metrics.counter({
      name: 'jit_idp_assertions_issued_total',
      help: 'Signed assertions sent to an SP, by who started the sign-in (sp or idp)',
      labelNames: ['initiated_by'],
    });
    this.refused = metrics.counter({
      name: 'jit_idp_sso_refusals_total',
      help: 'Sign-ins refused, by typed reason (stale_read_model: the freshness of access rules could not be proven)',
      labelNames: ['reason'],
    });
    this.loggedOut = metrics.counter({
      name: 'jit_idp_logouts_total',
      help: 'Application sign-ins ended by Single Logout or signing out of the IdP (one per application of the ended IdP session)',
    });
    this.mfaChecks = metrics.counter({
      name: 'jit_idp_mfa_checks_total',
      help: 'Second-factor codes checked at sign-in, by outcome: totp, recovery_code or webauthn (accepted), or the refusal reason (wrong_code, throttled, locked_out, invalid_passkey, passkey_counter_regressed)',
      labelNames: ['outcome'],
    });
    for (const outcome of [...MFA_METHODS, ...MFA_REJECTION_REASONS]) this.mfaChecks.labels(outcome).inc(0);
    // Every series from the start, at 0: a rate over a reason seen for the first time is then right.
    for (const initiatedBy of ['sp', 'idp']) this.issued.labels(initiatedBy).inc(0);
    for (const reason of [...REFUSAL_REASONS, MISSING_ATTRIBUTE]) this.refused.labels(reason).inc(0);
  }

  /** Counts one audit event, already checked against its contract. */
  count(subject: string, event: object): void {
    switch (subject) {
      case IdpEvents.assertionIssued.subject:
        this.issued.labels((event as { initiatedBy?: string }).initiatedBy ?? 'sp').inc();
        return;
      case IdpEvents.ssoRefused.subject:
        this.refused.labels(reasonLabel((event as { reason: RefusalReason }).reason)).inc();
        return;
      case IdpEvents.loggedOut.subject:
        this.loggedOut.inc();
        return;
      case IdpEvents.mfaVerified.subject:
        this.mfaChecks.labels((event as { method: string }).method).inc();
        return;
      case IdpEvents.mfaRejected.subject:
        this.mfaChecks.labels((event as { reason: string }).reason).inc();
        return;
    }
  }
}

export function reasonLabel(reason: RefusalReason): string {
  return reason.startsWith(MISSING_ATTRIBUTE_PREFIX) ? MISSING_ATTRIBUTE : reason;
}
