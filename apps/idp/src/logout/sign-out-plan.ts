import type { ReadApplicationView } from '../read-model/read-model.service';
import type { IdpSession } from '../sessions/session-store';
import type { SignOutStop } from '../sessions/sign-out-walks';
import { sloUrlOf } from './slo-url';

export interface SignOutPlan {
  /** Applications to send a LogoutRequest to, one after another. */
  stops: SignOutStop[];
  /** Names of applications this session signed in to that have no SLO address: they are not told. */
  skipped: string[];
}

/**
 * Who a sign-out tells: every application the session issued an assertion to (but `except`, the
 * one that asked), named as that assertion named the person, if it has an SLO address. An
 * application deleted since is left out: nothing at the IdP says where it is any more.
 */
export function signOutPlan(
  applications: IdpSession['applications'],
  lookup: (applicationId: string) => ReadApplicationView | null,
  except?: string,
): SignOutPlan {
  const plan: SignOutPlan = { stops: [], skipped: [] };
  for (const [applicationId, principal] of applications ?? []) {
    if (applicationId === except) continue;
    const app = lookup(applicationId);
    if (!app) continue;
    if (sloUrlOf(app.snapshot)) plan.stops.push({ applicationId, ...principal });
    else plan.skipped.push(app.snapshot.name);
  }
  return plan;
}

/**
 * Where a sign-out form's POST may be redirected to: the origins of the plan's SLO addresses. A
 * browser applies the page's CSP `form-action` to every redirect after the form is sent, so with
 * `'self'` alone Chromium stops the walk at the first application.
 */
export function signOutFormTargets(plan: SignOutPlan, lookup: (applicationId: string) => ReadApplicationView | null): string[] {
  const origins = new Set<string>();
  for (const stop of plan.stops) {
    const url = lookup(stop.applicationId)?.snapshot;
    const slo = url ? sloUrlOf(url) : null;
    if (slo) origins.add(new URL(slo).origin);
  }
  return [...origins];
}
