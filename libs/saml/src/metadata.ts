import { certificateBody } from './credentials';
import { BINDING, NS } from './namespaces';
import { element, renderXml, type XmlElement } from './xml-writer';

export interface IdpMetadataOptions {
  entityId: string;
  ssoRedirectUrl: string;
  ssoPostUrl: string;
  sloRedirectUrl?: string;
  /** Several during a key rollover: SPs accept a signature made with any of them. */
  certificatePems: string[];
  nameIdFormats: string[];
  wantAuthnRequestsSigned?: boolean;
}

/** IdP metadata (SAML metadata schema order: KeyDescriptor, SLO, NameIDFormat, SSO). Unsigned. */
export function buildIdpMetadata(opts: IdpMetadataOptions): string {
  if (opts.certificatePems.length === 0) throw new Error('IdP metadata needs at least one signing certificate');
  const descriptor: XmlElement = element(
    'md:IDPSSODescriptor',
    { WantAuthnRequestsSigned: String(opts.wantAuthnRequestsSigned ?? false), protocolSupportEnumeration: NS.protocol },
    [
      ...opts.certificatePems.map((pem) =>
        element('md:KeyDescriptor', { use: 'signing' }, [
          element('ds:KeyInfo', {}, [element('ds:X509Data', {}, [element('ds:X509Certificate', {}, [certificateBody(pem)])])]),
        ]),
      ),
      ...(opts.sloRedirectUrl
        ? [element('md:SingleLogoutService', { Binding: BINDING.redirect, Location: opts.sloRedirectUrl })]
        : []),
      ...opts.nameIdFormats.map((format) => element('md:NameIDFormat', {}, [format])),
      element('md:SingleSignOnService', { Binding: BINDING.redirect, Location: opts.ssoRedirectUrl }),
      element('md:SingleSignOnService', { Binding: BINDING.post, Location: opts.ssoPostUrl }),
    ],
  );
  return renderXml(
    element('md:EntityDescriptor', { 'xmlns:md': NS.metadata, 'xmlns:ds': NS.xmldsig, entityID: opts.entityId }, [descriptor]),
  );
}
