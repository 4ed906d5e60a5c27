import { refusalCode, type RefusalCode, type RefusalReason } from '@jit/idp-contracts';
import type { PendingSso } from '../sessions/session-store';

/** What a refusal page may say about the request it refuses. */
export interface RefusalContext {
  /** The application's display name, when the application is known. */
  appName?: string;
  /** Which endpoint refused: the wording differs between sign-in and logout. */
  flow?: 'sso' | 'slo';
  /** The parser's or verifier's reason, for the person reading the page. */
  detail?: string;
  /** The SP attributes (and NameID) a profile lacks. */
  missing?: readonly string[];
  /** A refused request that was too large (413 rather than 400). */
  tooLarge?: boolean;
  /** RelayState's byte cap. */
  relayStateMaxBytes?: number;
  /** Minutes until a throttled sign-in may try again. */
  retryMinutes?: number;
}

/** A refusal answered with a SAML status Response to the (registered, verified) ACS instead of a page. */
export interface SamlStatusRule {
  statusCode: string;
  subStatusCode?: string;
}

export interface RefusalRule {
  status: number | ((c: RefusalContext) => number);
  title: (c: RefusalContext) => string;
  message: (c: RefusalContext) => string;
  saml?: SamlStatusRule;
}

const STATUS = {
  requester: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
  responder: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
  invalidNameIdPolicy: 'urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy',
  noPassive: 'urn:oasis:names:tc:SAML:2.0:status:NoPassive',
  noAuthnContext: 'urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext',
} as const;

const app = (c: RefusalContext): string => c.appName ?? 'this application';
const fixed = (text: string) => (): string => text;
const request = (c: RefusalContext): string => (c.flow === 'slo' ? 'logout' : 'sign-in');

/**
 * Every refusal the IdP can give, keyed by its typed reason: the HTTP status, the page a person
 * sees, and (for the SAML profile's own failures) the status sent back to the ACS. A reason added
 * to REFUSAL_REASONS without an entry here does not compile. The audit event and the log line
 * for each refusal are written by RefusalResponder, the one place that answers them.
 */
export const REFUSALS: Record<RefusalCode, RefusalRule> = {
  app_not_found: { status: 404, title: fixed('Unknown application'), message: fixed('There is no application at this address.') },
  app_inactive: { status: 403, title: fixed('Application unavailable'), message: fixed('This application is not active.') },
  app_not_authorized: {
    status: 403,
    title: fixed('Not authorised'),
    message: (c) => `You are not authorised to use ${app(c)}${c.detail ? `: ${c.detail}` : ''}. Ask your administrator for access.`,
  },
  user_not_found: {
    status: 403,
    title: fixed('Account not found'),
    message: fixed('Your account no longer exists. Ask your administrator.'),
  },
  user_not_active: {
    status: 403,
    title: fixed('Account not active'),
    message: fixed('Your account is not active. Ask your administrator.'),
  },
  missing_required_attribute: {
    status: 403,
    title: fixed('Profile incomplete'),
    message: (c) =>
      `Your profile lacks what ${app(c)} needs to create your account: ${(c.missing ?? []).join(', ')}. Ask your administrator.`,
  },
  acs_not_registered: {
    status: 400,
    title: fixed('Unregistered address'),
    message: (c) => `The application asked for a response at an address that is not registered for ${app(c)}.`,
  },
  unknown_issuer: {
    status: 400,
    title: fixed('Unknown service provider'),
    message: (c) => `The request's Issuer is not the entity ID registered for ${app(c)}.`,
  },
  unsupported_binding: {
    status: 400,
    title: fixed('Unsupported binding'),
    message: fixed('Responses are sent with the HTTP-POST binding only.'),
  },
  malformed_request: {
    status: (c) => (c.tooLarge ? 413 : 400),
    title: (c) =>
      c.detail === undefined ? 'Missing SAMLRequest' : c.flow === 'slo' ? 'Invalid logout request' : 'Invalid sign-in request',
    message: (c) =>
      c.detail === undefined
        ? `This address expects a ${c.flow === 'slo' ? 'LogoutRequest' : 'SAMLRequest'} from the application.`
        : c.flow === 'slo'
          ? `The application sent a logout request we cannot accept: ${c.detail}`
          : `The application sent a SAML request we cannot accept: ${c.detail}`,
    // Only a request whose ACS is verified is answered there: today one whose RequestedAuthnContext
    // cannot be read (the rest of it said where to answer).
    saml: { statusCode: STATUS.requester },
  },
  stale_request: {
    status: 400,
    title: (c) => `Expired ${request(c)} request`,
    message: (c) =>
      c.flow === 'slo'
        ? 'The request is too old or from the future.'
        : 'The request is too old or from the future. Start again from the application.',
  },
  wrong_destination: {
    status: 400,
    title: fixed('Wrong destination'),
    message: (c) =>
      c.flow === 'slo'
        ? 'The request was addressed to another endpoint.'
        : 'The request was addressed to another identity provider endpoint.',
  },
  stale_read_model: {
    status: 503,
    title: fixed('Temporarily unavailable'),
    message: fixed('Access rules are being updated and could not be confirmed just now. Try again in a moment.'),
  },
  database_unavailable: {
    status: 503,
    title: fixed('Temporarily unavailable'),
    message: fixed('The sign-in service cannot reach its database; try again in a moment.'),
  },
  directory_unavailable: {
    status: 503,
    title: fixed('Temporarily unavailable'),
    message: fixed('The sign-in service cannot reach the directory right now; try again in a moment.'),
  },
  unsigned_request_rejected: {
    status: 400,
    title: fixed('Unsigned sign-in request'),
    message: (c) => `${c.appName ?? 'This application'} must sign its requests, and this one is not signed.`,
  },
  bad_request_signature: {
    status: 400,
    title: (c) => (c.flow === 'slo' ? 'Invalid logout request' : 'Invalid request signature'),
    message: (c) =>
      c.flow === 'slo'
        ? `The application sent a logout request we cannot accept: ${c.detail ?? ''}`
        : `The application's request signature could not be verified: ${c.detail ?? ''}`,
  },
  invalid_name_id_policy: {
    status: 400,
    title: fixed('NameID format unavailable'),
    message: (c) => `NameID format ${c.detail ?? ''} is not available for this application`,
    saml: { statusCode: STATUS.requester, subStatusCode: STATUS.invalidNameIdPolicy },
  },
  no_passive: {
    status: 400,
    title: fixed('Sign-in needed'),
    message: fixed('The user is not signed in and the request did not allow asking'),
    saml: { statusCode: STATUS.responder, subStatusCode: STATUS.noPassive },
  },
  no_authn_context: {
    status: 403,
    title: fixed('Sign-in method unavailable'),
    message: (c) =>
      `${c.appName ?? 'The application'} asked for a way of signing in this identity provider does not offer${c.detail ? `: ${c.detail}` : ''}.`,
    saml: { statusCode: STATUS.requester, subStatusCode: STATUS.noAuthnContext },
  },
  idp_initiated_disabled: {
    status: 403,
    title: fixed('Start from the application'),
    message: (c) => `${c.appName ?? 'This application'} only accepts sign-ins that it starts. Open it and sign in from there.`,
  },
  relay_state_too_long: {
    status: 400,
    title: fixed('RelayState too long'),
    message: (c) => `RelayState is limited to ${c.relayStateMaxBytes ?? 0} bytes.`,
  },
  request_replayed: {
    status: 400,
    title: fixed('Request already used'),
    message: fixed('This sign-in request was already used. Start again from the application.'),
  },
  subject_mismatch: {
    status: 403,
    title: fixed('Signed in as someone else'),
    message: (c) =>
      `${c.appName ?? 'The application'} asked to sign in another person than the one signed in here. Sign out, then start again from the application.`,
  },
  slo_not_authenticated: {
    status: 400,
    title: fixed('Single logout unavailable'),
    message: (c) =>
      `${c.appName ?? 'This application'} has no signing certificate registered, so its logout requests cannot be verified. Ask your administrator to register it.`,
  },
  slo_not_configured: {
    status: 400,
    title: fixed('Single logout unavailable'),
    message: (c) => `${c.appName ?? 'This application'} has no single logout address registered.`,
  },
};

/**
 * Why the IdP will not go on, as a value: thrown by the flows, answered by RefusalResponder.
 * `pending` is set once the request's ACS is known to be registered: reasons with a SAML status
 * rule are then answered to that ACS.
 */
export class Refusal extends Error {
  constructor(
    readonly reason: RefusalReason,
    readonly context: RefusalContext = {},
    readonly pending?: PendingSso,
  ) {
    super(refusalMessage(reason, context));
    this.name = 'Refusal';
  }

  get rule(): RefusalRule {
    return REFUSALS[refusalCode(this.reason)];
  }

  get status(): number {
    const { status } = this.rule;
    return typeof status === 'number' ? status : status(this.context);
  }

  get title(): string {
    return this.rule.title(this.context);
  }
}

export function refusalMessage(reason: RefusalReason, context: RefusalContext): string {
  return REFUSALS[refusalCode(reason)].message(context);
}
