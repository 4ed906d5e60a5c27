/// <reference types="node" />
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from '@jest/globals';

/** Every source file of the SPA, recursively. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : /\.tsx?$/.test(entry.name) ? [join(dir, entry.name)] : [],
  );
}

/**
 * The console loads PatternFly's base.css, which has no pf-v6-u-* utility classes: console.css
 * defines the few the screens use. A class used but not defined does nothing, silently.
 */
describe('PatternFly utility classes', () => {
  it('are each defined in console.css when a screen uses them', () => {
    const used = new Set(sources(__dirname).flatMap((file) => readFileSync(file, 'utf8').match(/pf-v6-u-[a-z0-9-]+/g) ?? []));
    const css = readFileSync(join(__dirname, 'console.css'), 'utf8');
    const undefinedClasses = [...used].filter((name) => !css.includes(`.${name} {`));
    assert.deepEqual(undefinedClasses, [], 'define these in console.css (see the comment there)');
  });
});
