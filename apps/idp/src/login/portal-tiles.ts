import { PORTAL_COLOR, renderableUrl } from '@jit/catalog-contracts';
import type { UserProfile } from '@jit/directory-contracts';
import type { ReadApplicationView } from '../read-model/read-model.service';

/** One application on the portal: what it is called there, where its link goes, its colour. */
export interface PortalTile {
  label: string;
  /** IdP-initiated sign-in, the SP's own sign-in URL, or null: the SP must be opened from itself. */
  href: string | null;
  /** A hex colour (checked again here), or null. */
  color: string | null;
}

/**
 * The portal's tiles for the applications a person may open, by label. A tile opens its
 * application the way the application takes it, so that no link leads to a refusal: IdP-initiated
 * sign-in where the application allows it, else its launch URL (SP-initiated sign-in from the
 * SP's own page), else no link. Hidden applications are left out. The catalog checked the launch
 * URL and the colour; they are checked again because this page puts them in front of a browser.
 */
export function portalTiles(applications: readonly ReadApplicationView[]): PortalTile[] {
  return applications
    .filter((app) => app.snapshot.portalVisible)
    .map((app): PortalTile => {
      const { snapshot } = app;
      const launchUrl = snapshot.launchUrl !== null && renderableUrl(snapshot.launchUrl) ? snapshot.launchUrl : null;
      return {
        label: snapshot.portalLabel ?? snapshot.name,
        href: snapshot.idpInitiatedAllowed ? `/saml2/${app.id}/init` : launchUrl,
        color: snapshot.portalColor !== null && PORTAL_COLOR.test(snapshot.portalColor) ? snapshot.portalColor : null,
      };
    })
    .sort((a, b) => a.label.localeCompare(b.label));
}

/** Who the portal says is signed in: the display name, else first and last name, else the username. */
export function signedInName(profile: Pick<UserProfile, 'username' | 'displayname' | 'firstname' | 'lastname'>): string {
  const full = [profile.firstname, profile.lastname].filter((part) => part).join(' ');
  return profile.displayname || full || profile.username;
}
