import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('.', import.meta.url));

// The console's single-page app. The console service (apps/console) serves the build from
// dist/apps/console-web on the same origin as its /api, so no CORS and no token in the browser.
export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../../dist/apps/console-web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    port: 5173,
    // `npx vite apps/console-web` during screen work: the console service answers /api, /auth and /saml.
    proxy: { '/api': 'http://localhost:4003', '/auth': 'http://localhost:4003', '/saml': 'http://localhost:4003' },
  },
});
