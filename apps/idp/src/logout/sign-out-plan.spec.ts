import assert from 'node:assert/strict';
import type { ReadApplicationView } from '../read-model/read-model.service';
import { signOutFormTargets, signOutPlan } from './sign-out-plan';

const app = (name: string, singleLogoutUrl: string | null) =>
  ({ id: name, snapshot: { name, singleLogoutUrl } }) as unknown as ReadApplicationView;
const apps: Record<string, ReadApplicationView> = {
  wiki: app('Wiki', 'https://wiki.example.com/saml/slo'),
  wikiAdmin: app('Wiki admin', 'https://wiki.example.com/admin/slo'),
  crm: app('CRM', 'http://127.0.0.1:4100/saml/slo'),
  chat: app('Chat', null),
};

describe('signOutFormTargets: where a sign-out form’s redirects may go', () => {
  it('the origin of each application the walk visits, once; none for an application without an SLO address', () => {
    const lookup = (id: string) => apps[id] ?? null;
    const plan = signOutPlan(new Map(Object.keys(apps).map((id) => [id, { nameId: 'ada@example.com' }])), lookup);
    assert.deepEqual(plan.skipped, ['Chat']);
    assert.deepEqual(signOutFormTargets(plan, lookup), ['https://wiki.example.com', 'http://127.0.0.1:4100']);
    assert.deepEqual(signOutFormTargets(signOutPlan(undefined, lookup), lookup), []);
  });
});
