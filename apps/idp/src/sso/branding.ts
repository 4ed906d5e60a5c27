import { BRAND_COLOR, brandTextColor, logoUrlProblem, type OrganizationBranding } from '@jit/directory-contracts';
import { escapeHtml } from './html';

/** What a page shows of the organisation it signs into (ReadModelService.organization). */
export type PageOrganization = OrganizationBranding;

/** The organisation's band at the top of a page: its parts for the body, the stylesheet and the CSP. */
export interface OrganizationBand {
  html: string;
  style: string;
  /** ` img-src <origin>` for the logo, or '' (then images stay refused by default-src 'none'). */
  imgSrc: string;
}

const BAND_STYLE =
  '.org{display:flex;align-items:center;gap:.7rem;padding:.6rem .9rem;margin:0 0 1.2rem;border-radius:.3rem;' +
  'background:#f5f7fa;color:#1f2933;border-top:.3rem solid #cbd2d9}.org img{max-height:2.5rem;max-width:10rem}' +
  '.org-name{font-weight:600;font-size:1.05rem;overflow-wrap:anywhere}';

const NO_BAND: OrganizationBand = { html: '', style: '', imgSrc: '' };

/**
 * The organisation's name, with its logo and brand colour when an administrator set them. The
 * values are checked again here, as the directory checked them: a logo that is not a canonical
 * https: URL and a colour that is not #rrggbb are left out, never written into the page or the
 * CSP. The colour fills the band and the text on it is black or white, whichever contrasts more
 * (at least 4.5:1 for any colour: WCAG AA). The CSP allows images from the logo's origin only,
 * and only on a page that shows it.
 */
export function organizationBand(organization: PageOrganization | null | undefined): OrganizationBand {
  if (!organization) return NO_BAND;
  const logo = organization.logoUrl !== null && logoUrlProblem(organization.logoUrl) === null ? organization.logoUrl : null;
  const color = organization.brandColor !== null && BRAND_COLOR.test(organization.brandColor) ? organization.brandColor : null;
  const name = escapeHtml(organization.name);
  const img = logo ? `<img src="${escapeHtml(logo)}" alt="${name} logo" height="40">` : '';
  return {
    html: `<header class="org">${img}<span class="org-name">${name}</span></header>`,
    style: BAND_STYLE + (color ? `.org{background:${color};color:${brandTextColor(color)};border-top-color:${color}}` : ''),
    imgSrc: logo ? ` img-src ${new URL(logo).origin};` : '',
  };
}
