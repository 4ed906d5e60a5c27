import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { spaCompression, spaMiddleware } from './spa';

/** A GET with gzip accepted; node's http leaves the body as sent, so the encoding can be read. */
function get(server: Server, path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = request({ port, path, headers: { 'accept-encoding': 'gzip' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the console serving its screens', () => {
  let server: Server;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spa-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), `<!doctype html><html><body>${'<p>screens</p>'.repeat(200)}</body></html>`);
    writeFileSync(join(dir, 'assets/index-abc.js'), `console.log(${JSON.stringify('x'.repeat(5000))});`);
    const app = express();
    app.use(spaCompression());
    app.get('/api/me', (_req, res) => res.json({ csrfToken: 'secret'.repeat(300) }));
    app.use(spaMiddleware([dir]));
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('gzips the screens’ files, caches hashed assets for a year and index.html not at all', async () => {
    const asset = await get(server, '/assets/index-abc.js');
    assert.equal(asset.status, 200);
    assert.equal(asset.headers['content-encoding'], 'gzip');
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
    const page = await get(server, '/applications/123');
    assert.equal(page.headers['content-encoding'], 'gzip');
    assert.equal(page.headers['cache-control'], 'no-cache');
  });

  it('leaves the API’s answers uncompressed (one carries the CSRF token: no BREACH)', async () => {
    const me = await get(server, '/api/me');
    assert.equal(me.status, 200);
    assert.equal(me.headers['content-encoding'], undefined);
  });

  it('answers 404 for an asset that is not there instead of the page', async () => {
    assert.equal((await get(server, '/assets/missing.js')).status, 404);
  });
});
