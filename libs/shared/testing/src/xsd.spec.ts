import assert from 'node:assert/strict';
import { xsdValidate } from './xsd';

const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const ISSUER = '<saml:Issuer>https://idp.example.org</saml:Issuer>';
const STATUS = '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>';

function response(attributes = 'ID="_r1" Version="2.0" IssueInstant="2030-01-02T03:04:05Z"', children = ISSUER + STATUS): string {
  return `<samlp:Response xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}" ${attributes}>${children}</samlp:Response>`;
}

function refused(xml: string, message: RegExp): void {
  const result = xsdValidate(xml);
  assert.equal(result.ok, false, `expected a refusal, xmllint said: ${result.output}`);
  assert.match(result.output, message);
}

describe('xsdValidate (xmllint against the vendored OASIS schemas)', () => {
  it('accepts a minimal valid Response, with every schema import resolved locally and no warning', () => {
    assert.deepEqual(xsdValidate(response()), { ok: true, output: '- validates' });
  });

  it('refuses elements out of schema order', () => {
    refused(
      response(undefined, STATUS + ISSUER),
      /Element '\{urn:oasis:names:tc:SAML:2\.0:assertion\}Issuer': This element is not expected/,
    );
  });

  it('refuses a missing required attribute and an ill-typed one', () => {
    refused(response('Version="2.0" IssueInstant="2030-01-02T03:04:05Z"'), /The attribute 'ID' is required but missing/);
    refused(
      response('ID="_r1" Version="2.0" IssueInstant="2030-01-02T03:04:05Z" InResponseTo="1-not-an-ncname"'),
      /attribute 'InResponseTo': '1-not-an-ncname' is not a valid value of the atomic type 'xs:NCName'/,
    );
    refused(
      response('ID="_r1" Version="2.0" IssueInstant="yesterday"'),
      /'yesterday' is not a valid value of the atomic type 'xs:dateTime'/,
    );
  });

  it('refuses an element the schema does not define, and a root it does not know', () => {
    refused(
      response(undefined, ISSUER + '<saml:Surprise/>' + STATUS),
      /Element '\{urn:oasis:names:tc:SAML:2\.0:assertion\}Surprise': This element is not expected/,
    );
    refused('<Response xmlns="urn:example:not-saml"/>', /No matching global declaration available for the validation root/);
  });

  it('checks xsi:type: a value of the wrong type, and a type prefix with no namespace in scope', () => {
    const value = (declarations: string, type: string, text: string) =>
      `<saml:AttributeValue xmlns:saml="${SAML}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ${declarations} xsi:type="${type}">${text}</saml:AttributeValue>`;
    const xs = 'xmlns:xs="http://www.w3.org/2001/XMLSchema"';
    assert.equal(xsdValidate(value(xs, 'xs:string', 'abc')).ok, true);
    refused(value(xs, 'xs:int', 'abc'), /'abc' is not a valid value of the atomic type 'xs:int'/);
    refused(value('', 'xs:string', 'abc'), /The QName value 'xs:string' has no corresponding namespace declaration in scope/);
  });

  it('refuses a document that is not well-formed', () => {
    refused(response().slice(0, -3), /parser error : /);
  });
});
