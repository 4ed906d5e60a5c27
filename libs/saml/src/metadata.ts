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
  return renderXml(
    element('md:EntityDescriptor', { 'xmlns:md': NS.metadata, 'xmlns:ds': NS.xmldsig, entityID: opts.entityId }, [idpDescriptor(opts)]),
  );
}

function idpDescriptor(opts: IdpMetadataOptions): XmlElement {
  if (opts.certificatePems.length === 0) throw new Error('IdP metadata needs at least one signing certificate');
  return element(
    'md:IDPSSODescriptor',
    { WantAuthnRequestsSigned: String(opts.wantAuthnRequestsSigned ?? false), protocolSupportEnumeration: NS.protocol },
    [
      ...opts.certificatePems.map((pem) =>
        element('md:KeyDescriptor', { use: 'signing' }, [
          element('ds:KeyInfo', {}, [element('ds:X509Data', {}, [element('ds:X509Certificate', {}, [certificateBody(pem)])])]),
        ]),
      ),
      ...(opts.sloRedirectUrl ? [element('md:SingleLogoutService', { Binding: BINDING.redirect, Location: opts.sloRedirectUrl })] : []),
      ...opts.nameIdFormats.map((format) => element('md:NameIDFormat', {}, [format])),
      element('md:SingleSignOnService', { Binding: BINDING.redirect, Location: opts.ssoRedirectUrl }),
      element('md:SingleSignOnService', { Binding: BINDING.post, Location: opts.ssoPostUrl }),
    ],
  );
}

/** Several IdP EntityDescriptors in one md:EntitiesDescriptor (an organisation's applications). */
export function buildIdpMetadataSet(name: string, entities: IdpMetadataOptions[]): string {
  if (entities.length === 0) throw new Error('an EntitiesDescriptor needs at least one entity');
  return renderXml(
    element(
      'md:EntitiesDescriptor',
      { 'xmlns:md': NS.metadata, 'xmlns:ds': NS.xmldsig, Name: name },
      entities.map((e) => element('md:EntityDescriptor', { entityID: e.entityId }, [idpDescriptor(e)])),
    ),
  );
}
