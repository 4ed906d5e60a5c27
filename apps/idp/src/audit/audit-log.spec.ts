import assert from 'node:assert/strict';
import type { DataSource } from 'typeorm';
import type { NatsBus } from '@jit/messaging';
import { ServiceMetrics } from '@jit/service';
import { AuditService } from './audit.service';

const ORG = '00000000-0000-4000-8000-000000000001';
const APP = '00000000-0000-4000-8000-000000000003';
const USER = '00000000-0000-4000-8000-000000000002';

/** An AuditService whose log lines and published events are kept for the test to read. */
function recordingAudit() {
  const published: string[] = [];
  const bus = { publishEncoded: (subject: string) => (published.push(subject), Promise.resolve()) } as unknown as NatsBus;
  const audit = new AuditService(bus, {} as DataSource, new ServiceMetrics());
  const lines: Array<{ fields: Record<string, unknown>; message: string }> = [];
  (audit as unknown as { logger: { log: (fields: Record<string, unknown>, message: string) => void } }).logger = {
    log: (fields, message) => lines.push({ fields, message }),
  };
  return { audit, lines, published };
}

describe('AuditService: one info line per sign-in and per refusal, for operators', () => {
  it('an issued assertion: organisation, application, user, NameID format; no attribute values', async () => {
    const { audit, lines, published } = recordingAudit();
    audit.issued(
      {
        organizationId: ORG,
        applicationId: APP,
        userId: USER,
        attributeNames: ['email', 'secretish'],
        inResponseTo: '_r1',
        initiatedBy: 'sp',
        encrypted: false,
        authnContextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
        occurredAt: new Date().toISOString(),
      },
      'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    );
    await audit.beforeApplicationShutdown();
    assert.deepEqual(lines, [
      {
        message: 'Assertion issued',
        fields: {
          organizationId: ORG,
          applicationId: APP,
          userId: USER,
          nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
          initiatedBy: 'sp',
          authnContextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
        },
      },
    ]);
    assert.deepEqual(published, [`idp.sso.issued.v1.${ORG}.${USER}`]);
  });

  it('a refusal: typed reason, application, user if known, source address; audited when the organisation is known', async () => {
    const { audit, lines, published } = recordingAudit();
    audit.refused({
      organizationId: ORG,
      applicationId: APP,
      userId: USER,
      reason: 'app_not_authorized',
      detail: 'x',
      sourceIp: '203.0.113.7',
    });
    audit.refused({
      organizationId: null,
      applicationId: APP,
      userId: null,
      reason: 'app_not_found',
      detail: 'y',
      sourceIp: '198.51.100.1',
    });
    await audit.beforeApplicationShutdown();
    assert.deepEqual(lines, [
      {
        message: 'Sign-in refused',
        fields: { reason: 'app_not_authorized', applicationId: APP, organizationId: ORG, userId: USER, sourceIp: '203.0.113.7' },
      },
      {
        message: 'Sign-in refused',
        fields: { reason: 'app_not_found', applicationId: APP, organizationId: null, userId: null, sourceIp: '198.51.100.1' },
      },
    ]);
    assert.deepEqual(published, [`idp.sso.refused.v1.${ORG}.${USER}`]);
  });
});
