/**
 * @module console/web/vite.config
 * Builds the console's pages (src/console/web) into dist/console/, served by the control plane under
 * /console/. Everything is bundled (MQTT.js, Preact, the CSR code): the pages load nothing from
 * another host and work offline.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  publicDir: false,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../../../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // MQTT.js is most of the main chunk; the certificate code is its own chunk, loaded on demand.
    chunkSizeWarningLimit: 800,
  },
});
