// The three test tiers, each a jest project; `npm test` runs them all, `npx nx test <project>` one project's.
//   unit         *.spec.ts beside the code: pure logic, no services
//   integration  *.integration-spec.ts: real PostgreSQL and NATS, one database and NATS prefix per file
//   e2e          e2e/*.e2e-spec.ts: every service as its own process, demo-sp as the SP
const { compilerOptions } = require('./tsconfig.base.json');

// The tests compile with the same swc settings as the production build (scripts/build.mjs).
const { swcOptions } = require('./scripts/swc-options.js');

// @jit/* imports resolve exactly as tsconfig.base.json says: one list of paths.
const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths)
    .filter(([alias]) => alias.startsWith('@jit/'))
    .map(([alias, [target]]) => [`^${alias}$`, `<rootDir>/${target}`]),
);

// Packages published as ES modules only (checked by their package.json "type": "module").
const ESM_ONLY = ['@nestjs', 'zod'];

const tier = (displayName, testMatch) => ({
  displayName,
  testMatch,
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', { ...swcOptions, swcrc: false }],
    '^.+/node_modules/.+\\.m?js$': '<rootDir>/scripts/jest-esm-transform.js',
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  moduleNameMapper,
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  setupFiles: ['<rootDir>/scripts/jest-setup.js'],
  restoreMocks: true,
});

/** @type {import('jest').Config} */
module.exports = {
  rootDir: __dirname,
  // Real services take seconds to start (hooks share this limit); a hung one is still caught.
  testTimeout: 180_000,
  projects: [
    tier('unit', ['<rootDir>/{apps,libs}/**/*.spec.ts']),
    tier('integration', ['<rootDir>/{apps,libs}/**/*.integration-spec.ts']),
    tier('e2e', ['<rootDir>/e2e/**/*.e2e-spec.ts']),
  ],
};
