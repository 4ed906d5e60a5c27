import { renderableUrl, type ApplicationSnapshot } from '@jit/catalog-contracts';

/**
 * The application's Single Logout address when it has one the IdP may send a browser to. The one
 * rule for "this application does SLO": metadata advertises the IdP's SingleLogoutService only
 * then, and only then is the application sent a LogoutRequest or a LogoutResponse.
 */
export function sloUrlOf(snapshot: Pick<ApplicationSnapshot, 'singleLogoutUrl'>): string | null {
  const url = snapshot.singleLogoutUrl;
  return url && renderableUrl(url) ? url : null;
}
