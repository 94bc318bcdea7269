import { fileURLToPath } from 'node:url';
import { type BundlingOptions, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/**
 * The repository root: `NodejsFunction` (given it as `projectRoot`) runs the esbuild CLI here, and
 * {@link esbuildBuildOptions} passes it as `absWorkingDir`. esbuild resolves alias targets in its
 * working directory, not next to the importing file, so the paths in `alias` are relative to it.
 */
export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The esbuild settings of every Lambda bundle, in esbuild's terms. `AppFunction` hands them to
 * `NodejsFunction` through {@link nodejsFunctionBundling}, the bench to `esbuild.build` through
 * {@link esbuildBuildOptions}; the infra tests check that both produce the same bundle.
 *
 * - An ES module for Node 24, `module` before `main` so packages' ESM builds tree-shake.
 * - Minified, with a linked source map (`index.mjs.map`, read by `--enable-source-maps`) that carries
 *   no sources: stack traces get file and line names without shipping the code twice.
 * - Everything bundled, the AWS SDK included: the runtime's SDK version moves with runtime updates,
 *   while the bundle runs the versions pinned in package-lock.json, the ones the tests ran. Node
 *   built-ins stay imports (platform `node`).
 */
export const lambdaBundling = {
  format: 'esm',
  platform: 'node',
  target: 'node24',
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: 'linked',
  sourcesContent: false,
  /**
   * An ES module has no `require`, but some bundled CommonJS dependencies call it for Node built-ins,
   * so the bundle defines one before any of their code runs.
   */
  banner:
    "import { createRequire as __plinthCreateRequire } from 'node:module'; const require = __plinthCreateRequire(import.meta.url);",
  /**
   * Package → file (relative to {@link projectRoot}) that replaces it in bundles, and only there.
   * The SDK's default credential chain becomes env-only: see lib/bundling/lambda-credentials.ts.
   */
  alias: {
    '@aws-sdk/credential-provider-node': './lib/bundling/lambda-credentials.ts',
  },
} as const;

/** The settings as `esbuild.build` options; add `entryPoints`, `outfile` and any reporting options. */
export function esbuildBuildOptions(): BuildOptions {
  const { banner, mainFields, alias, ...rest } = lambdaBundling;
  return {
    ...rest,
    bundle: true,
    absWorkingDir: projectRoot,
    mainFields: [...mainFields],
    banner: { js: banner },
    alias: { ...alias },
    external: [],
  };
}

/** esbuild's names for the settings that `NodejsFunction` takes as enums. */
const cdkOutputFormat = { esm: OutputFormat.ESM, cjs: OutputFormat.CJS } as const;
const cdkSourceMapMode = {
  // NodejsFunction's default mode is esbuild's `linked`: the map file plus the comment naming it.
  linked: SourceMapMode.DEFAULT,
  external: SourceMapMode.EXTERNAL,
  inline: SourceMapMode.INLINE,
  both: SourceMapMode.BOTH,
} as const;

/** The settings as `NodejsFunction` bundling props (which passes them to the esbuild CLI). */
export function nodejsFunctionBundling(): BundlingOptions {
  const { format, target, mainFields, minify, sourcemap, sourcesContent, banner, alias } = lambdaBundling;
  return {
    format: cdkOutputFormat[format],
    target,
    mainFields: [...mainFields],
    minify,
    sourceMap: true,
    sourceMapMode: cdkSourceMapMode[sourcemap],
    sourcesContent,
    banner,
    // No `--external` at all: `bundleAwsSDK` stops NodejsFunction from adding `@aws-sdk/*`.
    bundleAwsSDK: true,
    externalModules: [],
    // `--alias:<package>=<path>`; the CLI resolves the path in its working directory, projectRoot.
    esbuildArgs: Object.fromEntries(Object.entries(alias).map(([name, path]) => [`--alias:${name}`, path])),
  };
}
