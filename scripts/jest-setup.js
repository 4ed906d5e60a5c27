// Node's fetch lives outside jest's sandbox, so the objects Response.json() builds carry the outer
// realm's prototypes and assert.deepStrictEqual finds them unequal to the literals a test writes.
// Parsing the text inside the sandbox gives ordinary objects of the test's own realm.
Response.prototype.json = async function json() {
  return JSON.parse(await this.text());
};
