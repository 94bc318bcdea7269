import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { type BuildOptions, buildSync } from 'esbuild';

/**
 * The repository root: {@link esbuildBuildOptions} passes it as `absWorkingDir` (and {@link lambdaCode}
 * stages the asset from it). esbuild resolves alias targets in its
 * working directory, not next to the importing file, so the paths in `alias` are relative to it.
 */
export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The esbuild settings of every Lambda bundle, in esbuild's terms. `AppFunction` builds its code
 * asset with them through {@link lambdaCode}, the bench and the infra tests through
 * {@link esbuildBuildOptions}; the infra tests check that both produce the same files.
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

/**
 * The settings as `esbuild.build` options; add `entryPoints` and `outdir` (and any reporting options).
 *
 * Code splitting is on: the entry becomes `index.mjs`, and every module a function reaches only
 * through `await import()` (stripe-node, the SSM and SES clients: see shared/app/deferred.ts)
 * goes into `chunks/*.mjs` beside it, which Node reads when the import runs, not at cold start.
 * Modules that both sides use land in shared chunks, so a class is defined once and `instanceof`
 * holds across them. The function's init reads `index.mjs` and the chunks it imports statically:
 * that set is what the size budget is about (scripts/bench/bundles.ts measures both).
 */
export function esbuildBuildOptions(): BuildOptions {
  const { banner, mainFields, alias, ...rest } = lambdaBundling;
  return {
    ...rest,
    bundle: true,
    splitting: true,
    entryNames: 'index',
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    absWorkingDir: projectRoot,
    mainFields: [...mainFields],
    banner: { js: banner },
    alias: { ...alias },
    external: [],
  };
}

/**
 * A function's code asset: the directory esbuild writes with {@link esbuildBuildOptions} for
 * `entry` (`index.mjs`, handler `index.handler`, plus its chunks and source maps), hashed by
 * output like `NodejsFunction`'s. `NodejsFunction` itself cannot be used: it passes esbuild an
 * `--outfile`, and code splitting needs an output directory. esbuild runs in process (it is a
 * devDependency); the Docker image is never used because local bundling always succeeds.
 */
export function lambdaCode(entry: string): Code {
  return Code.fromAsset(projectRoot, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: DockerImage.fromRegistry('unused-local-bundling'),
      // Never run (local bundling always succeeds), but CDK keys its cache of bundled assets on the
      // source path and these serializable options, not on `local`: without the entry here, every
      // function of an app would get the first function's bundle.
      command: ['esbuild', relative(projectRoot, entry)],
      local: {
        tryBundle(outputDir) {
          buildSync({
            ...esbuildBuildOptions(),
            entryPoints: [entry],
            outdir: outputDir,
            logLevel: 'warning',
          });
          return true;
        },
      },
    },
  });
}
