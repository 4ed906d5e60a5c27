// One set of compiler options for the tests (@swc/jest) and the production build (scripts/build.mjs),
// matching tsconfig.base.json: ES2022, CommonJS, decorators with metadata (Nest's injection needs it).
exports.swcOptions = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};
