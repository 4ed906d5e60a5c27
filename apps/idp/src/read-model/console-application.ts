import { ApplicationSnapshot, NAMEID, type AttributeMapping } from '@jit/catalog-contracts';
import { CONSOLE_SAML_PATHS, consoleApplicationId } from '@jit/idp-contracts';

/** What the read model tells apart from the catalog's applications: the IdP's own console. */
export const CONSOLE_APPLICATION_NAME = 'Admin console';

const mapping = (spName: string, source: string | null, required: boolean, constant: string | null = null): AttributeMapping => ({
  spName,
  source,
  constant,
  enabled: true,
  required,
  multiValued: false,
});

/**
 * The admin console as a SAML SP of every organisation. It is not in the catalog: an
 * administrator could unbind, deactivate or delete a catalog application and lock every admin
 * out, and who may use the console is decided by admin roles, not by group bindings. So the IdP
 * builds it from configuration (CONSOLE_URL) for each organisation it knows, under the id
 * `consoleApplicationId(organizationId)` the console computes too.
 *
 * Sent: NameID unspecified holding the user's id, both signatures, and the attributes the console
 * opens its session from (`adminRole` is added by decideAssertion, from the read model's role).
 */
export class ConsoleApplication {
  private readonly snapshots = new Map<string, ApplicationSnapshot>();

  constructor(
    /** CONSOLE_URL, without a trailing slash. */
    readonly url: string,
    /** The certificate the console signs its requests with, when configured: its LogoutRequests are then verified. */
    private readonly signingCertificate?: string,
  ) {}

  id(organizationId: string): string {
    return consoleApplicationId(organizationId);
  }

  /** The console's application in one organisation (the same object for every call). */
  snapshot(organizationId: string): ApplicationSnapshot {
    let snapshot = this.snapshots.get(organizationId);
    if (!snapshot) {
      snapshot = ApplicationSnapshot.parse({
        name: CONSOLE_APPLICATION_NAME,
        connectorId: 'admin-console',
        spEntityId: `${this.url}${CONSOLE_SAML_PATHS.metadata}`,
        acsUrls: [`${this.url}${CONSOLE_SAML_PATHS.acs}`],
        nameIdFormat: NAMEID.unspecified,
        nameIdSource: 'id',
        signAssertion: true,
        signResponse: true,
        active: true,
        // userId and username identify the admin; the others only label the console's header,
        // so a profile without an email or a name still signs in.
        attributes: [
          mapping('userId', 'id', true),
          mapping('username', 'username', true),
          mapping('email', 'email', false),
          mapping('firstname', 'firstname', false),
          mapping('lastname', 'lastname', false),
          mapping('organizationId', null, true, organizationId),
        ],
        singleLogoutUrl: `${this.url}${CONSOLE_SAML_PATHS.logout}`,
        spSigningCertificates: this.signingCertificate ? [this.signingCertificate] : [],
        // The console starts its own sign-ins (it keeps the request id it checks the response
        // against): the portal's tile opens the console, which asks the IdP.
        idpInitiatedAllowed: false,
        launchUrl: `${this.url}/`,
        portalVisible: true,
        portalLabel: CONSOLE_APPLICATION_NAME,
      });
      this.snapshots.set(organizationId, snapshot);
    }
    return snapshot;
  }
}
