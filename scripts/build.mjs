#!/usr/bin/env node
// Compiles one project's TypeScript to dist/, with the same swc options the tests use
// (scripts/swc-options.js). Usage: node scripts/build.mjs <projectRoot>   e.g. apps/idp, libs/saml
//
// The tree under dist/ mirrors the source tree (dist/apps/idp/src/main.js, dist/libs/saml/src/index.js),
// and @jit/* imports are rewritten to relative paths, so `node dist/apps/<service>/src/main.js` runs
// with production dependencies only. Each lib is built by its own Nx target (apps depend on ^build).
import { transformFile } from '@swc/core';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

const require = createRequire(import.meta.url);
const { swcOptions } = require('./swc-options.js');
const root = new URL('..', import.meta.url).pathname;
const projectRoot = process.argv[2];
if (!projectRoot || !statSync(join(root, projectRoot, 'src'), { throwIfNoEntry: false })?.isDirectory()) {
  console.error('usage: node scripts/build.mjs <projectRoot with a src/ folder, e.g. apps/idp>');
  process.exit(2);
}

const { compilerOptions } = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8'));
const paths = Object.fromEntries(Object.entries(compilerOptions.paths).filter(([alias]) => alias.startsWith('@jit/')));
const isTest = (file) => /\.(spec|integration-spec|e2e-spec)\.ts$/.test(file) || /spec-helpers\.ts$|test-fixtures\.ts$/.test(file);

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

const outDir = join(root, 'dist', projectRoot);
rmSync(outDir, { recursive: true, force: true });
let compiled = 0;
for (const file of walk(join(root, projectRoot, 'src'))) {
  const target = join(root, 'dist', relative(root, file));
  mkdirSync(dirname(target), { recursive: true });
  if (file.endsWith('.json')) {
    copyFileSync(file, target);
  } else if (file.endsWith('.ts') && !file.endsWith('.d.ts') && !isTest(file)) {
    const { code } = await transformFile(file, {
      ...swcOptions,
      swcrc: false,
      sourceMaps: 'inline',
      jsc: { ...swcOptions.jsc, baseUrl: root, paths },
    });
    writeFileSync(target.replace(/\.ts$/, '.js'), code);
    compiled++;
  }
}
console.log(`${projectRoot}: ${compiled} files compiled to ${relative(root, outDir)}`);
