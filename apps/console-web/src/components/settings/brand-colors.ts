/**
 * The text colour the IdP's pages put on the organisation's brand colour: black or white, whichever
 * contrasts more (WCAG 2.x), so the preview shows what people will see. The same rule as
 * brandTextColor of @jit/directory-contracts (the SPA bundles no server library); both specs
 * check the same colours.
 */
export function brandTextColor(brandColor: string): '#000000' | '#ffffff' {
  const luminance = (hex: string) => {
    const channel = (i: number) => {
      const c = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
  };
  const l = luminance(brandColor);
  // Contrast with black (l + 0.05) / 0.05 against white 1.05 / (l + 0.05).
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? '#000000' : '#ffffff';
}

export const BRAND_COLOR_INPUT = /^#[0-9a-fA-F]{6}$/;
