// The dashboard's bundle (web/dashboard → dist/dashboard), built by `npm run build`: hearth
// serves it at /_hearth/ (src/server/dashboard.ts). Everything is bundled; nothing loads
// from a CDN.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('./dashboard', import.meta.url)),
  base: '/_hearth/',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1024,
  },
});
