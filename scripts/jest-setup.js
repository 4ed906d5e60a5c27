// Node's fetch lives outside jest's sandbox, so the objects Response.json() builds carry the outer
// realm's prototypes and assert.deepStrictEqual finds them unequal to the literals a test writes.
// Parsing the text inside the sandbox gives ordinary objects of the test's own realm.
Response.prototype.json = async function json() {
  return JSON.parse(await this.text());
};

// structuredClone is Node's too: its copies of plain objects and arrays are rebuilt in the test's realm.
const outerStructuredClone = globalThis.structuredClone;
const isPlainObject = (value) => {
  const proto = value !== null && typeof value === 'object' ? Object.getPrototypeOf(value) : undefined;
  return proto !== undefined && proto !== null && Object.getPrototypeOf(proto) === null;
};
const intoThisRealm = (value) =>
  Array.isArray(value)
    ? Array.from(value, intoThisRealm)
    : isPlainObject(value)
      ? Object.fromEntries(Object.entries(value).map(([key, item]) => [key, intoThisRealm(item)]))
      : value;
globalThis.structuredClone = (value, options) => intoThisRealm(outerStructuredClone(value, options));
