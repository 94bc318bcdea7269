import type { BuildOptions } from 'esbuild';

/**
 * The esbuild settings of `AppFunction` (lib/constructs/app-function.ts), which hands them to
 * `NodejsFunction`: an ES module for Node 24, minified, with an external source map and everything
 * bundled, AWS SDK included. Keep in step with the construct until both read one module.
 */
export const functionBundling = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  external: [],
  banner: {
    js: "import { createRequire as __plinthCreateRequire } from 'node:module'; const require = __plinthCreateRequire(import.meta.url);",
  },
} as const satisfies BuildOptions;
