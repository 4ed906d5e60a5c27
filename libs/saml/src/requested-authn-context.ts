import type { MessageElement } from '@jit/xml';
import { NS } from './namespaces';

/** The authentication context classes of SAML 2.0 (authn-context 3.4) that the IdP names, and the ones SPs use for multi-factor. */
export const AUTHN_CONTEXT_CLASS = {
  unspecified: 'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified',
  password: 'urn:oasis:names:tc:SAML:2.0:ac:classes:Password',
  passwordProtectedTransport: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
  /** The REFEDS MFA profile: research and education SPs, Shibboleth and SimpleSAMLphp check for it. */
  refedsMfa: 'https://refeds.org/profile/mfa',
  /** What Microsoft Entra ID needs to honour an external IdP's MFA. */
  microsoftMultipleAuthn: 'http://schemas.microsoft.com/claims/multipleauthn',
} as const;

/** SAML core 3.3.2.2.1: how the statement's context compares with the requested ones (exact when absent). */
export const AUTHN_CONTEXT_COMPARISONS = ['exact', 'minimum', 'maximum', 'better'] as const;
export type AuthnContextComparison = (typeof AUTHN_CONTEXT_COMPARISONS)[number];

/** A samlp:RequestedAuthnContext: class references or declaration references (the schema's choice), never both. */
export interface RequestedAuthnContext {
  comparison: AuthnContextComparison;
  classRefs: string[];
  declRefs: string[];
}

/** Real requests name one to three classes; more is an attempt to make us work. */
export const MAX_REQUESTED_AUTHN_CONTEXT_REFS = 16;
/** An xs:anyURI as SAML uses them; 1024 like an entity ID (core 8.3.6). */
export const MAX_AUTHN_CONTEXT_REF_LENGTH = 1024;

/** Why a RequestedAuthnContext cannot be read: answered to the SP once its ACS is known good. */
export class RequestedAuthnContextError extends Error {
  constructor(message: string) {
    super(`RequestedAuthnContext: ${message}`);
    this.name = 'RequestedAuthnContextError';
  }
}

/**
 * The request's RequestedAuthnContext, or undefined when it has none. Everything the schema
 * allows is read exactly; anything else (two of them, an unknown Comparison, no reference, both
 * kinds of reference, a reference with markup inside, empty, too long or too many) is refused
 * with a RequestedAuthnContextError rather than read loosely: an SP that asked for a context
 * must get that context or a status saying it could not have it.
 */
export function readRequestedAuthnContext(root: MessageElement): RequestedAuthnContext | undefined {
  const found = root.childElements(NS.protocol, 'RequestedAuthnContext');
  if (found.length === 0) return undefined;
  if (found.length > 1) throw new RequestedAuthnContextError('more than one');
  const element = found[0];
  const comparisonText = element.hasAttribute('Comparison') ? element.getAttribute('Comparison') : 'exact';
  const comparison = AUTHN_CONTEXT_COMPARISONS.find((c) => c === comparisonText);
  if (!comparison) {
    throw new RequestedAuthnContextError(`Comparison must be one of ${AUTHN_CONTEXT_COMPARISONS.join(', ')}`);
  }
  const classRefs: string[] = [];
  const declRefs: string[] = [];
  for (const child of element.elements) {
    const list =
      child.namespaceURI !== NS.assertion
        ? undefined
        : child.localName === 'AuthnContextClassRef'
          ? classRefs
          : child.localName === 'AuthnContextDeclRef'
            ? declRefs
            : undefined;
    if (!list) throw new RequestedAuthnContextError(`<${child.nodeName}> is not an AuthnContextClassRef or AuthnContextDeclRef`);
    if (classRefs.length + declRefs.length >= MAX_REQUESTED_AUTHN_CONTEXT_REFS) {
      throw new RequestedAuthnContextError(`more than ${MAX_REQUESTED_AUTHN_CONTEXT_REFS} references`);
    }
    list.push(reference(child));
  }
  if (classRefs.length === 0 && declRefs.length === 0) throw new RequestedAuthnContextError('names no AuthnContextClassRef');
  if (classRefs.length > 0 && declRefs.length > 0) {
    throw new RequestedAuthnContextError('mixes AuthnContextClassRef and AuthnContextDeclRef');
  }
  return { comparison, classRefs, declRefs };
}

function reference(element: MessageElement): string {
  if (element.elements.length > 0) throw new RequestedAuthnContextError(`${element.localName} must be text only`);
  const value = element.textContent.trim();
  if (!value) throw new RequestedAuthnContextError(`${element.localName} is empty`);
  if (value.length > MAX_AUTHN_CONTEXT_REF_LENGTH) {
    throw new RequestedAuthnContextError(`${element.localName} is longer than ${MAX_AUTHN_CONTEXT_REF_LENGTH} characters`);
  }
  // xs:anyURI: no white space inside. Refusing it beats comparing a value the SP did not mean.
  if (/\s/.test(value)) throw new RequestedAuthnContextError(`${element.localName} is not a URI`);
  return value;
}
