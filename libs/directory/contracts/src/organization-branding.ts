import { z } from 'zod';

/**
 * What the sign-in page, the second-step pages and the portal show of an organisation: its name,
 * and optionally a logo and a brand colour an administrator set (PATCH /v1/organization). The
 * directory checks them when they are set and the IdP again when it renders, with these rules.
 */
export const ORGANIZATION_NAME_MAX = 200;
/** Long enough for a CDN URL with a query string; short enough to sit in every page and CSP header. */
export const LOGO_URL_MAX = 2048;
/** `#rrggbb`, stored lowercase. */
export const BRAND_COLOR = /^#[0-9a-f]{6}$/;

/**
 * Why a logo URL cannot be shown, or null when it can. Only `https:` (a page served over HTTPS
 * loads nothing else, and `data:`/`javascript:` never reach an `img`), parsed with the WHATWG URL
 * parser; no user name or password (they would sit in every CSP header), no fragment, and it must
 * be written in its canonical form, so the origin the CSP allows is exactly the one in the page.
 */
export function logoUrlProblem(value: string): string | null {
  if (value.length > LOGO_URL_MAX) return `The logo URL is longer than ${LOGO_URL_MAX} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'The logo URL is not a valid absolute URL (say https://cdn.example.com/logo.svg)';
  }
  if (url.protocol !== 'https:') return `The logo URL must start with https:, not ${url.protocol}`;
  if (url.username || url.password) return 'The logo URL must not contain a user name or password';
  if (url.hash || value.includes('#')) return 'The logo URL must not contain a fragment (#...)';
  if (url.href !== value) return `Write the logo URL as ${url.href} (its canonical form)`;
  return null;
}

export const LogoUrl = z
  .string()
  .superRefine((value, ctx) => {
    const problem = logoUrlProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .meta({ description: 'An https: URL of the logo image, at most 2048 characters' });

export const BrandColor = z
  .string()
  .regex(BRAND_COLOR, 'The brand colour must be #rrggbb in lowercase hexadecimal (say #0b7285)')
  .meta({ description: 'The brand colour, #rrggbb' });

/** The organisation as its pages show it. */
export const OrganizationBranding = z.object({
  name: z.string().min(1).max(ORGANIZATION_NAME_MAX),
  logoUrl: LogoUrl.nullable(),
  brandColor: BrandColor.nullable(),
});
export type OrganizationBranding = z.infer<typeof OrganizationBranding>;

/** WCAG 2.x relative luminance of `#rrggbb`. */
function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}

/** WCAG 2.x contrast ratio of two `#rrggbb` colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * The text colour for a band of the brand colour: black or white, whichever contrasts more. One of
 * them always reaches at least 4.58:1 (the worst case is a luminance near 0.18), so any colour an
 * administrator picks keeps the page at WCAG AA for normal text.
 */
export function brandTextColor(brandColor: string): '#000000' | '#ffffff' {
  return contrastRatio(brandColor, '#000000') >= contrastRatio(brandColor, '#ffffff') ? '#000000' : '#ffffff';
}
