import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { generateSigningCredentials, type ResponseOptions, type SigningCredentials } from '@jit/saml';
import { xmlsecVerify } from '@jit/testing';
import { ResponseSigner } from './response-signer';

describe('ResponseSigner: responses built and signed on a worker thread', () => {
  const signer = new ResponseSigner();
  let credentials: SigningCredentials;
  const options = (inResponseTo: string, over: Partial<ResponseOptions> = {}): ResponseOptions => ({
    issuer: 'https://idp.example.org/saml2/app',
    destination: 'https://sp.example.com/acs',
    inResponseTo,
    audience: 'https://sp.example.com/metadata',
    nameId: 'ada@example.com',
    nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    sessionIndex: '_session',
    attributes: [{ name: 'email', values: ['ada@example.com'] }],
    signAssertion: true,
    signResponse: true,
    credentials,
    ...over,
  });

  before(async () => {
    const generated = await generateSigningCredentials('signer spec');
    // A KeyObject, as the IdP's key service hands them out: it crosses to the thread with the request.
    credentials = { privateKey: createPrivateKey(generated.privateKeyPem), certificatePem: generated.certificatePem };
  });
  after(() => signer.onApplicationShutdown());

  it('answers each of many concurrent requests with its own response, signed so that xmlsec1 verifies it', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `_request-${i}`);
    const answers = await Promise.all(ids.map((id) => signer.build(options(id))));
    answers.forEach((xml, i) => assert.match(xml, new RegExp(`InResponseTo="${ids[i]}"`)));
    assert.equal(xmlsecVerify(answers[7], credentials.certificatePem, 'Response').ok, true);
    assert.equal(xmlsecVerify(answers[7], credentials.certificatePem, 'Assertion').ok, true);
  });

  it('turns a failure on the thread into a rejection of that request only', async () => {
    const [bad, good] = await Promise.allSettled([signer.build(options('_bad', { signAssertion: false, signResponse: false })), signer.build(options('_good'))]);
    assert.equal(bad.status, 'rejected');
    assert.match(String(bad.status === 'rejected' && bad.reason), /must sign the assertion, the response, or both/);
    assert.equal(good.status, 'fulfilled');
  });

  it('fails what it holds when its thread ends, and starts a new thread for the next request', async () => {
    // More than the thread signs before it is stopped: some are still held when it ends.
    const held = Array.from({ length: 50 }, (_, i) => signer.build(options(`_held-${i}`)));
    await signer.onApplicationShutdown();
    const settled = await Promise.allSettled(held);
    const failed = settled.filter((s) => s.status === 'rejected');
    assert.ok(failed.length > 0);
    for (const f of failed) assert.match(String(f.reason), /signing thread exited/);
    const after = await Promise.all([signer.build(options('_after-1')), signer.build(options('_after-2'))]);
    assert.match(after[1], /InResponseTo="_after-2"/);
  });
});
