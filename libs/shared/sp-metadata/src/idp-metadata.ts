import { DOMParser, type Element } from '@xmldom/xmldom';
import { DomainError, ErrorCode } from '@jit/service';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const REDIRECT_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const MAX_METADATA_CHARS = 1024 * 1024;
const FETCH_TIMEOUT_MS = 5_000;

/** What the SP needs from an IdP's metadata to send an AuthnRequest and verify the Response. */
export interface IdpMetadata {
  entityId: string;
  ssoRedirectUrl: string;
  /** Base64 DER; several during a key rollover, and a signature by any of them is accepted. */
  signingCertificates: string[];
  /** SingleLogoutService (HTTP-Redirect), when the IdP has one. */
  sloRedirectUrl?: string;
}

export class MetadataError extends Error {}

/** Reads the first IDPSSODescriptor of an EntityDescriptor (or of the first one in an EntitiesDescriptor). */
export function parseIdpMetadata(xml: string): IdpMetadata {
  let doc;
  try {
    doc = new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') throw new Error(String(message));
      },
    }).parseFromString(xml, 'text/xml');
  } catch (error) {
    throw new MetadataError(`not well-formed XML (${(error as Error).message})`);
  }
  const descriptor = Array.from(doc.getElementsByTagNameNS(MD, 'IDPSSODescriptor'))[0];
  if (!descriptor) throw new MetadataError('no IDPSSODescriptor');
  const entity = descriptor.parentNode as Element | null;
  const entityId = entity?.getAttribute('entityID');
  if (!entityId) throw new MetadataError('the EntityDescriptor has no entityID');

  const signingCertificates = children(descriptor, MD, 'KeyDescriptor')
    // A KeyDescriptor without `use` serves both signing and encryption.
    .filter((kd) => {
      const use = kd.getAttribute('use');
      return !use || use === 'signing';
    })
    .flatMap((kd) => Array.from(kd.getElementsByTagNameNS(DS, 'X509Certificate')))
    .map((cert) => (cert.textContent ?? '').replace(/\s+/g, ''))
    .filter((body) => body !== '');
  if (signingCertificates.length === 0) throw new MetadataError('no signing certificate in the IDPSSODescriptor');

  const sso = children(descriptor, MD, 'SingleSignOnService').find((s) => s.getAttribute('Binding') === REDIRECT_BINDING);
  const ssoRedirectUrl = sso?.getAttribute('Location');
  if (!ssoRedirectUrl) throw new MetadataError('no SingleSignOnService with the HTTP-Redirect binding');
  const slo = children(descriptor, MD, 'SingleLogoutService').find((s) => s.getAttribute('Binding') === REDIRECT_BINDING);
  const sloRedirectUrl = slo?.getAttribute('Location') ?? undefined;
  return { entityId, ssoRedirectUrl, signingCertificates, ...(sloRedirectUrl ? { sloRedirectUrl } : {}) };
}

function children(parent: Element, ns: string, localName: string): Element[] {
  return Array.from(parent.childNodes).filter(
    (n): n is Element => n.nodeType === n.ELEMENT_NODE && (n as Element).namespaceURI === ns && (n as Element).localName === localName,
  );
}

/**
 * Fetches an application's IdP metadata and keeps it for a while: a certificate rollover at the
 * IdP reaches the SP within the TTL, or at once when a Response fails to verify (the caller then
 * `forget`s it), without a fetch per sign-in.
 */
export class IdpMetadataService {
  private readonly cache = new Map<string, { expiresAt: number; metadata: Promise<IdpMetadata> }>();

  constructor(
    private readonly idpUrl: string,
    private readonly ttlMs = 60_000,
  ) {}

  metadataUrl(appId: string): string {
    return `${this.idpUrl}/saml2/${encodeURIComponent(appId)}/metadata`;
  }

  /**
   * The application whose IdP entity this is (`<IdP URL>/saml2/<appId>`), to know whose metadata
   * to verify a message with; undefined for any other entity. The message still has to verify.
   */
  appIdOfEntity(entityId: string | undefined): string | undefined {
    const prefix = `${this.idpUrl}/saml2/`;
    return entityId?.startsWith(prefix) ? entityId.slice(prefix.length) : undefined;
  }

  /** Forgets what was read for `appId`: the next `get` reads the metadata again (a key rollover). */
  forget(appId: string): void {
    this.cache.delete(appId);
  }

  get(appId: string): Promise<IdpMetadata> {
    const now = Date.now();
    const hit = this.cache.get(appId);
    if (hit && hit.expiresAt > now) return hit.metadata;
    if (this.cache.size >= 1000) this.prune(now);
    // The promise is cached, so concurrent sign-ins to one app share one fetch; failures are not kept.
    const metadata = this.fetch(appId);
    this.cache.set(appId, { expiresAt: now + this.ttlMs, metadata });
    metadata.catch(() => {
      if (this.cache.get(appId)?.metadata === metadata) this.cache.delete(appId);
    });
    return metadata;
  }

  private prune(now: number): void {
    for (const [appId, entry] of this.cache) if (entry.expiresAt <= now) this.cache.delete(appId);
  }

  private async fetch(appId: string): Promise<IdpMetadata> {
    const url = this.metadataUrl(appId);
    let response: Response;
    let xml: string;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'error' });
      xml = await response.text();
    } catch (error) {
      const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${FETCH_TIMEOUT_MS} ms` : describe(error);
      throw new DomainError(ErrorCode.DependencyUnavailable, `The IdP did not answer at ${url}: ${reason}`);
    }
    if (response.status === 404) {
      throw new DomainError(ErrorCode.NotFound, `The IdP has no application "${appId}" (${url} answered 404)`);
    }
    if (response.status !== 200) {
      throw new DomainError(ErrorCode.DependencyUnavailable, `The IdP metadata at ${url} answered ${response.status}`);
    }
    if (xml.length > MAX_METADATA_CHARS) {
      throw new DomainError(ErrorCode.DependencyUnavailable, `The IdP metadata at ${url} is larger than 1 MiB`);
    }
    try {
      return parseIdpMetadata(xml);
    } catch (error) {
      if (!(error instanceof MetadataError)) throw error;
      throw new DomainError(ErrorCode.DependencyUnavailable, `The IdP metadata at ${url} is not usable: ${error.message}`);
    }
  }
}

function describe(error: unknown): string {
  // fetch reports "fetch failed" and puts the useful part (ECONNREFUSED ...) in `cause`.
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
}
