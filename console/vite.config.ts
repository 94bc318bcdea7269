import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The admin console: a static single-page app. `base: './'` makes every asset URL relative, so the
 * same build works under `/console/` locally and at the root of its CloudFront distribution.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false },
});
