// Jest on Node 20 cannot load ES modules from CommonJS (Nest 12, zod 4 ship ESM only), so those packages
// are compiled to CommonJS like our own code. import.meta.url, which CommonJS lacks,
// becomes the file's URL.
const { createTransformer } = require('@swc/jest');
const { swcOptions } = require('./swc-options.js');

const swc = createTransformer({ ...swcOptions, jsc: { ...swcOptions.jsc, parser: { syntax: 'ecmascript' } }, swcrc: false });
const IMPORT_META_URL = /\bimport\.meta\.url\b/g;
// Not require('node:url'): some of these modules declare their own `const require = createRequire(...)`.
const FILE_URL = '("file://" + encodeURI(__filename))';
const commonJs = (source) => source.replace(IMPORT_META_URL, FILE_URL);

module.exports = {
  ...swc,
  process(source, path, options) {
    return swc.process(commonJs(source), path, options);
  },
  getCacheKey(source, path, options) {
    return swc.getCacheKey(commonJs(source), path, options);
  },
};
