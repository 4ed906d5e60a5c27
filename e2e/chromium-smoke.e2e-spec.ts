import assert from 'node:assert/strict';
import { assertAccessible, launchChromium } from '@jit/testing';

describe('Chromium for the browser tests', () => {
  it('launches, and the axe check reports a serious violation it is shown', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.setContent('<html lang="en"><head><title>t</title></head><body><main><h1>Fine</h1></main></body></html>');
      await assertAccessible(page, 'a clean page');
      // An image without alternative text is a critical violation: the check must fail on it.
      await page.setContent('<html lang="en"><head><title>t</title></head><body><main><img src="x.png"></main></body></html>');
      await assert.rejects(assertAccessible(page, 'an image without alt'), /image-alt/);
    } finally {
      await browser.close();
    }
  });
});
