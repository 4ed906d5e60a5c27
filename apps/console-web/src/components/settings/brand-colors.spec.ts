/// <reference types="node" />
import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { brandTextColor } from './brand-colors';

/** WCAG 2.x contrast, written out again here so that the check does not lean on the code it checks. */
function contrast(a: string, b: string): number {
  const lum = (hex: string) =>
    [0, 1, 2]
      .map((i) => parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255)
      .map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4))
      .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

describe('the preview’s text colour on the brand colour', () => {
  it('is the IdP’s choice for the same colours (organization-branding.spec.ts of @jit/directory-contracts)', () => {
    assert.equal(brandTextColor('#ffffff'), '#000000');
    assert.equal(brandTextColor('#000000'), '#ffffff');
    assert.equal(brandTextColor('#0b7285'), '#ffffff');
    assert.equal(brandTextColor('#ffd43b'), '#000000');
  });

  it('is always the one of black and white that contrasts more, which keeps 4.5:1 for every colour', () => {
    const hex = (r: number, g: number, b: number) => `#${[r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('')}`;
    for (let r = 0; r < 256; r += 15)
      for (let g = 0; g < 256; g += 15)
        for (let b = 0; b < 256; b += 15) {
          const color = hex(r, g, b);
          const text = brandTextColor(color);
          const other = text === '#000000' ? '#ffffff' : '#000000';
          assert.ok(contrast(color, text) >= contrast(color, other), color);
          assert.ok(contrast(color, text) >= 4.5, color);
        }
  });
});
