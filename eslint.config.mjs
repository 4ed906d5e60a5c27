// Type-aware lint at zero warnings, and Nx module boundaries from each project's tags:
// an app never imports another app; a service reaches another's data only through contracts.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const depConstraints = [
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:feature'] },
  { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:util'] },
  { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:directory', onlyDependOnLibsWithTags: ['scope:directory', 'scope:shared'] },
  { sourceTag: 'scope:catalog', onlyDependOnLibsWithTags: ['scope:catalog', 'scope:directory', 'scope:shared'] },
  { sourceTag: 'scope:idp', onlyDependOnLibsWithTags: ['scope:idp', 'scope:directory', 'scope:catalog', 'scope:shared'] },
  { sourceTag: 'scope:demo-sp', onlyDependOnLibsWithTags: ['scope:demo-sp', 'scope:shared'] },
  // The console speaks to every service, through their contracts only.
  {
    sourceTag: 'scope:console',
    onlyDependOnLibsWithTags: ['scope:console', 'scope:directory', 'scope:catalog', 'scope:idp', 'scope:shared'],
  },
  { sourceTag: 'scope:e2e', onlyDependOnLibsWithTags: ['scope:shared'] },
];

const boundaries = (constraints) => ['error', { allow: [], enforceBuildableLibDependency: false, depConstraints: constraints }];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.nx/**', 'scripts/**', '**/*.js', '**/*.mjs', 'apps/console-web/src/api/*.ts'] },
  ...tseslint.configs.recommendedTypeChecked,
  prettier,
  {
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { '@nx': nx },
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': boundaries(depConstraints),
    },
  },
  {
    // The SPs' tests play the IdP with our SAML library; the SPs' own code never touches it.
    files: ['apps/demo-sp/**/*.spec.ts', 'apps/demo-sp/**/*.integration-spec.ts', 'libs/shared/sp-metadata/**/*.spec.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries(
        depConstraints.map((c) =>
          c.sourceTag === 'scope:demo-sp' || c.sourceTag === 'scope:shared'
            ? { ...c, onlyDependOnLibsWithTags: [...c.onlyDependOnLibsWithTags, 'scope:idp'] }
            : c,
        ),
      ),
    },
  },
  {
    // End-to-end tests play the outside systems on the bus (an audit reader, a catalog event for an
    // option its API cannot set yet): they may use any service's contracts, never its code.
    files: ['e2e/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries(
        depConstraints.map((c) =>
          c.sourceTag === 'scope:e2e' ? { ...c, onlyDependOnLibsWithTags: [...c.onlyDependOnLibsWithTags, 'type:contracts'] } : c,
        ),
      ),
    },
  },
);
