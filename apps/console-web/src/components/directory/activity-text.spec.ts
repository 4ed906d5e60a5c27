import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import type { ActivityItem } from './activity-api';
import { readable } from './activity-text';

const USER = '4cbc3520-9c86-45e6-9bec-ac7259f29ee0';
const APP = 'c3215c80-b757-4a4e-8ce3-498903348a0e';
const item = (summary: string, userId: string | null = USER, applicationId: string | null = APP): ActivityItem => ({
  id: 'x',
  kind: 'refusal',
  occurredAt: '2026-12-06T19:37:30Z',
  userId,
  applicationId,
  reason: null,
  detail: null,
  actor: null,
  subject: 'idp.sso.refused.v1',
  summary,
});
const names = new Map([[USER, 'nolast']]);
const apps = new Map([[APP, 'JIT Demo SP']]);

describe("Activity's summaries", () => {
  it('name the person and the application instead of their ids', () => {
    assert.equal(
      readable(item(`Sign-in of ${USER} to application ${APP} refused: app_not_authorized`), names, apps),
      'Sign-in of nolast to JIT Demo SP refused: app_not_authorized',
    );
  });

  it('do not repeat a name the summary already gives beside the id', () => {
    assert.equal(readable(item(`admin updated nolast (${USER}): lastname`, USER, null), names, apps), 'admin updated nolast: lastname');
    assert.equal(readable(item(`admin created application ${APP} (JIT Demo SP)`, null), names, apps), 'admin created JIT Demo SP');
  });

  it('keep the ids of what they cannot name (a deleted person, an unknown application)', () => {
    const summary = `Sign-in of ${USER} to application ${APP} refused: app_not_authorized`;
    assert.equal(readable(item(summary), new Map(), new Map()), summary);
  });
});
