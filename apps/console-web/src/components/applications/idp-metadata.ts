const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';

/** What admins copy into the SP from the IdP's metadata for one application. */
export interface IdpEndpoints {
  entityId: string;
  ssoUrl: string | null;
  sloUrl: string | null;
  /** The signing certificates the metadata publishes (current, and next during a rotation), PEM. */
  certificates: string[];
}

export function toPem(base64: string): string {
  const body = base64.replace(/\s+/g, '');
  return `-----BEGIN CERTIFICATE-----\n${(body.match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----\n`;
}

/**
 * Reads the IdP's own metadata for the application (GET /saml2/:appId/metadata), so that the
 * screen shows exactly the URLs and certificates SPs are given, wherever the IdP is configured to live.
 */
export function readIdpMetadata(xml: string): IdpEndpoints | null {
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  const descriptor = doc.getElementsByTagNameNS(MD, 'EntityDescriptor')[0];
  if (!descriptor || doc.getElementsByTagName('parsererror').length > 0) return null;
  const location = (tag: string) => {
    const all = Array.from(doc.getElementsByTagNameNS(MD, tag));
    const redirect = all.find((e) => e.getAttribute('Binding')?.endsWith('HTTP-Redirect'));
    return (redirect ?? all[0])?.getAttribute('Location') ?? null;
  };
  const certificates = Array.from(doc.getElementsByTagNameNS(MD, 'KeyDescriptor'))
    .filter((k) => (k.getAttribute('use') ?? 'signing') === 'signing')
    .flatMap((k) => Array.from(k.getElementsByTagNameNS(DS, 'X509Certificate')))
    .map((c) => toPem(c.textContent ?? ''));
  return {
    entityId: descriptor.getAttribute('entityID') ?? '',
    ssoUrl: location('SingleSignOnService'),
    sloUrl: location('SingleLogoutService'),
    certificates,
  };
}
