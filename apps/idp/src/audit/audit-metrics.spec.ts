import assert from 'node:assert/strict';
import { IdpEvents, REFUSAL_REASONS } from '@jit/idp-contracts';
import { ServiceMetrics } from '@jit/service';
import { metricValue } from '@jit/testing';
import { AuditMetrics } from './audit-metrics';

const audit = { organizationId: '00000000-0000-4000-8000-000000000001', applicationId: 'app', occurredAt: new Date().toISOString() };
const userId = '00000000-0000-4000-8000-000000000002';

describe('AuditMetrics', () => {
  it('counts assertions by who started the sign-in and refusals by typed reason', async () => {
    const metrics = new ServiceMetrics();
    const counts = new AuditMetrics(metrics);
    counts.count(IdpEvents.assertionIssued.subject, { ...audit, userId, attributeNames: [], inResponseTo: 'id1', initiatedBy: 'sp' });
    counts.count(IdpEvents.assertionIssued.subject, { ...audit, userId, attributeNames: [], inResponseTo: null, initiatedBy: 'idp' });
    counts.count(IdpEvents.assertionIssued.subject, { ...audit, userId, attributeNames: [], inResponseTo: 'id2', initiatedBy: 'sp' });
    for (const reason of ['stale_read_model', 'stale_read_model', 'missing_required_attribute:email', 'missing_required_attribute:Role']) {
      counts.count(IdpEvents.ssoRefused.subject, { ...audit, userId: null, reason, detail: '' });
    }
    counts.count(IdpEvents.loggedOut.subject, { ...audit, userId, sessionIndex: 's' });
    const text = await metrics.scrape();
    assert.equal(metricValue(text, 'jit_idp_assertions_issued_total', { initiated_by: 'sp' }), 2);
    assert.equal(metricValue(text, 'jit_idp_assertions_issued_total', { initiated_by: 'idp' }), 1);
    assert.equal(metricValue(text, 'jit_idp_sso_refusals_total', { reason: 'stale_read_model' }), 2);
    // Attribute names are unbounded: they count under the reason's prefix (the audit event names them).
    assert.equal(metricValue(text, 'jit_idp_sso_refusals_total', { reason: 'missing_required_attribute' }), 2);
    assert.doesNotMatch(text, /missing_required_attribute:/);
    assert.equal(metricValue(text, 'jit_idp_logouts_total'), 1);
  });

  it('exposes every typed reason from the start, at 0', async () => {
    const metrics = new ServiceMetrics();
    new AuditMetrics(metrics);
    const text = await metrics.scrape();
    for (const reason of REFUSAL_REASONS) assert.equal(metricValue(text, 'jit_idp_sso_refusals_total', { reason }), 0, reason);
  });

  it('counts second-factor checks by outcome, each series from the start', async () => {
    const metrics = new ServiceMetrics();
    const counts = new AuditMetrics(metrics);
    const mfa = { organizationId: audit.organizationId, userId, occurredAt: audit.occurredAt };
    assert.equal(metricValue(await metrics.scrape(), 'jit_idp_mfa_checks_total', { outcome: 'locked_out' }), 0);
    counts.count(IdpEvents.mfaVerified.subject, { ...mfa, method: 'totp' });
    counts.count(IdpEvents.mfaVerified.subject, { ...mfa, method: 'recovery_code' });
    counts.count(IdpEvents.mfaRejected.subject, { ...mfa, reason: 'wrong_code' });
    counts.count(IdpEvents.mfaRejected.subject, { ...mfa, reason: 'wrong_code' });
    const text = await metrics.scrape();
    assert.equal(metricValue(text, 'jit_idp_mfa_checks_total', { outcome: 'totp' }), 1);
    assert.equal(metricValue(text, 'jit_idp_mfa_checks_total', { outcome: 'recovery_code' }), 1);
    assert.equal(metricValue(text, 'jit_idp_mfa_checks_total', { outcome: 'wrong_code' }), 2);
  });
});
