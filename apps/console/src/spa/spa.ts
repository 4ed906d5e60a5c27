import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import compression from 'compression';
import express, { type NextFunction, type Request, type Response } from 'express';

/** Paths the console answers itself; everything else is the SPA. */
const OWN_PATHS = /^\/(api|saml|auth|health|ready|metrics|docs|docs-json)(\/|$)/;

/** Where the built SPA is: the production build's output, else the app's own dev build. */
export function spaCandidates(root = process.cwd()): string[] {
  return [resolve(join(root, 'dist/apps/console-web')), resolve(join(root, 'apps/console-web/dist'))];
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Admin console · not built</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.5}</style></head>
<body><main><h1>The admin console is not built</h1>
<p>The console service is running, but its screens (apps/console-web) have not been built. Run <code>npm run build</code>, then reload this page.</p>
</main></body></html>`;

/**
 * Serves the SPA for every GET that is not one of the console's own paths: a file of the build
 * when there is one (assets have hashed names, so they are cached for a year), else index.html,
 * whose router shows the screen (and the sign-in screen when /api/me answers 401).
 */
/**
 * gzip for the screens' files only (their JavaScript is about 630 KB raw, 190 KB compressed). The
 * API's answers are left as they are: one carries the CSRF token, and compressing a secret beside
 * text a caller chooses is what BREACH reads it through.
 */
export function spaCompression(): (req: Request, res: Response, next: NextFunction) => void {
  return compression({ filter: (req) => (req.method === 'GET' || req.method === 'HEAD') && !OWN_PATHS.test(req.path) });
}

export function spaMiddleware(candidates = spaCandidates()): (req: Request, res: Response, next: NextFunction) => void {
  const servers = new Map(
    candidates.map((dir) => [
      dir,
      express.static(dir, {
        index: false,
        fallthrough: true,
        setHeaders: (res, path) => {
          res.setHeader('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
        },
      }),
    ]),
  );
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || OWN_PATHS.test(req.path)) return next();
    // Looked up on each request: the SPA may be built while the console runs.
    const dir = candidates.find((d) => existsSync(join(d, 'index.html')));
    if (!dir) {
      res.status(503).set({ 'cache-control': 'no-store', 'content-type': 'text/html; charset=utf-8' }).send(NOT_BUILT);
      return;
    }
    servers.get(dir)!(req, res, () => {
      if (req.path.startsWith('/assets/')) {
        res.status(404).type('text').send('No such asset');
        return;
      }
      res.setHeader('cache-control', 'no-cache');
      res.sendFile(join(dir, 'index.html'));
    });
  };
}
