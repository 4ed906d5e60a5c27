import assert from 'node:assert/strict';
import { brandTextColor, contrastRatio, logoUrlProblem } from './organization-branding';

describe('organisation branding rules', () => {
  it('picks black or white text so that any brand colour keeps WCAG AA (4.5:1) for normal text', () => {
    assert.equal(brandTextColor('#ffffff'), '#000000');
    assert.equal(brandTextColor('#000000'), '#ffffff');
    assert.equal(brandTextColor('#0b7285'), '#ffffff');
    assert.equal(brandTextColor('#ffd43b'), '#000000');
    assert.equal(contrastRatio('#000000', '#ffffff').toFixed(1), '21.0');
    // Every grey, and a spread of colours across the cube: the chosen text always reaches 4.5:1.
    let worst = 21;
    for (let r = 0; r < 256; r += 17)
      for (let g = 0; g < 256; g += 17)
        for (let b = 0; b < 256; b += 17) {
          const hex = `#${[r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('')}`;
          worst = Math.min(worst, contrastRatio(hex, brandTextColor(hex)));
        }
    for (let v = 0; v < 256; v++) {
      const hex = `#${v.toString(16).padStart(2, '0').repeat(3)}`;
      worst = Math.min(worst, contrastRatio(hex, brandTextColor(hex)));
    }
    assert.ok(worst >= 4.5, `worst contrast ${worst}`);
  });

  it('accepts only canonical https: logo URLs without credentials or fragment', () => {
    assert.equal(logoUrlProblem('https://cdn.example.com/logo.svg?v=2'), null);
    assert.match(logoUrlProblem('http://cdn.example.com/logo.svg') ?? '', /https:, not http:/);
    assert.match(logoUrlProblem('JAVASCRIPT:alert(1)') ?? '', /not javascript:/);
    assert.match(logoUrlProblem('https://CDN.example.com/logo.svg') ?? '', /https:\/\/cdn\.example\.com\/logo\.svg/);
    assert.match(logoUrlProblem('https://a@cdn.example.com/') ?? '', /user name/);
    assert.match(logoUrlProblem('https://cdn.example.com/#') ?? '', /fragment/);
    assert.match(logoUrlProblem('not a url') ?? '', /not a valid absolute URL/);
  });
});
