import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { initFiles } from '#lib/bundling/init-files.ts';
import { esbuildBuildOptions } from '#lib/constructs/bundling.ts';
import { functionAreas } from '#shared/http/route.ts';
import { median } from './stats.ts';

/** Budgets the figures are checked against (reported, never asserted). */
export const bundleBudgets = {
  /**
   * Minified code a function reads at init: `index.mjs` and the chunks it imports statically. The
   * chunks it reaches only through `await import()` (stripe-node, the SSM and SES clients) are
   * reported beside it and are not part of this budget.
   */
  maxBytes: 500 * 1024,
  /** Cold init of a function's process relative to `dynamodb-baseline`'s, in the same run. */
  maxInitRatio: 1.5,
} as const;

export interface BundleFigure {
  readonly name: string;
  /** Entry file, relative to the repository. */
  readonly entry: string;
  /** Minified bytes read at init: `index.mjs` and the chunks it imports statically. */
  readonly bytes: number;
  readonly gzipBytes: number;
  /** Minified bytes of the chunks reached only through `await import()`, loaded on first use. */
  readonly deferredBytes: number;
  /** The biggest contributors to the init code, by package (`plinth` for our own code). */
  readonly topPackages: readonly (readonly [string, number])[];
  /** The biggest contributors to the deferred chunks. */
  readonly deferredPackages: readonly (readonly [string, number])[];
  /** Median wall time of a fresh `node` that imports the bundle and exits. */
  readonly processMs: number;
  /**
   * The budget's figure: the median, over the runs, of this process's wall time divided by that of
   * a `dynamodb-baseline` process started just before it. Each ratio compares two processes a few
   * hundred milliseconds apart, so a busy spell of the shared machine lands on both or neither;
   * dividing the two medians instead lets it land on one side (1 for the baseline itself).
   */
  readonly initRatio: number;
  /** The same paired median for init CPU. */
  readonly cpuRatio: number;
  /** Median time the `import()` of the bundle took inside that process (module evaluation). */
  readonly importMs: number;
  /** Median CPU time (user + system) of that process up to the end of the import: less sensitive
   * than wall time to other work on the machine. */
  readonly cpuMs: number;
  /**
   * Median time, after init, to import every deferred chunk in that same process: what the first
   * request down the paths that need them pays once per container (an upper bound: one path
   * rarely needs all of them). 0 when the function defers nothing.
   */
  readonly deferredMs: number;
}

export interface BundleReport {
  readonly hello: BundleFigure;
  /** Not budgeted: shows how much of a function's init the AWS SDK alone takes. */
  readonly dynamodb: BundleFigure;
  /** Not budgeted: the house stack every API function starts from, before zod and any code of its own. */
  readonly floor: BundleFigure;
  readonly functions: readonly BundleFigure[];
  /** Areas of the route table that have no `functions/<area>/handler.ts` yet. */
  readonly missing: readonly string[];
  readonly runs: number;
}

/**
 * The environment a function reads at init (shared/config/env.ts and the `*.env.ts` modules beside
 * the domain code: billing, audit, exports, erasure, sso; shared/health/health.config.ts),
 * with dummy values: init builds clients but makes no calls, so nothing needs to answer. The Stripe
 * secrets are given as values; deployed, they are read from SSM at init, one round trip more.
 */
export const initEnvironment = {
  TABLE_NAME: 'plinth-bench',
  EVENT_BUS_NAME: 'plinth-bench',
  PRODUCT_WAREHOUSE_STREAM: 'plinth-bench-product-events',
  AUDIT_DIGEST_BUCKET: 'plinth-bench-audit-digests',
  STRIPE_SECRET_KEY: 'sk_test_bench',
  STRIPE_WEBHOOK_SECRET: 'whsec_bench',
  STRIPE_PRICE_IDS: JSON.stringify({
    team: { month: 'price_team_month', year: 'price_team_year' },
    business: { month: 'price_business_month', year: 'price_business_year' },
  }),
  USER_POOL_ID: 'us-east-1_bench',
  USER_POOL_CLIENT_ID: 'bench-client',
  USER_POOL_CLIENT_IDS: 'bench-client,bench-sso-client',
  SSO_CLIENT_ID: 'bench-sso-client',
  SSO_HOSTED_UI_URL: 'https://plinth-bench.auth.us-east-1.amazoncognito.com',
  SSO_CALLBACK_URL: 'https://app.plinth.bench/sso/callback',
  SSO_SECRET_PREFIX: 'plinth/bench/sso/',
  EXPORTS_BUCKET_NAME: 'plinth-bench-exports',
  WAREHOUSE_BUCKET_NAME: 'plinth-bench-warehouse',
  ERASURE_PSEUDONYM_KEY: 'bench-pseudonym-key-0123456789',
  TENANT_DATA_ROLE_ARN: 'arn:aws:iam::000000000000:role/plinth-bench-tenant-data',
  HEALTH_FUNCTIONS: JSON.stringify({ projects: 'plinth-bench-projects' }),
  HEALTH_QUEUES: JSON.stringify([
    { name: 'notifications', url: 'https://sqs.bench/notifications', deadLetterUrl: 'https://sqs.bench/dlq' },
  ]),
  HEALTH_WEBHOOK_FUNCTION: 'plinth-bench-stripe-webhook',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  POWERTOOLS_SERVICE_NAME: 'plinth',
  POWERTOOLS_LOG_LEVEL: 'INFO',
};

/** The budget's baseline: a function that does nothing. */
const HELLO_WORLD = `export const handler = async () => ({ statusCode: 200, body: 'hello' });\n`;

/** The floor of any function that reads the table: hello world plus a DynamoDB document client. */
export const DYNAMODB_BASELINE = `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
export const handler = async () => ({ statusCode: 200, body: String(Boolean(db)) });\n`;

/**
 * The floor of an API function in the house stack, before zod and any code of its own: the
 * DynamoDB baseline plus the environment read (shared/config/env.ts), the Powertools logger and
 * middy. The rest of a function's figure is zod (every API function validates with it) and its
 * code. Written beside the bench's bundles (`.plinth/bench/`), so the paths climb two levels.
 */
export const STACK_FLOOR = `import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import { readEnv } from '../../shared/config/env.ts';
import { logger } from '../../shared/observability/logger.ts';
const env = readEnv();
const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
export const handler = middy(async () => ({ statusCode: 200, body: String(Boolean(db)) + env.TABLE_NAME })).use(
  injectLambdaContext(logger),
);\n`;

function packageOf(path: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return match?.[1] ?? 'plinth';
}

function topPackages(metafile: Metafile, files: readonly string[], limit = 4): [string, number][] {
  const byPackage = new Map<string, number>();
  for (const file of files) {
    for (const [path, input] of Object.entries(metafile.outputs[file]?.inputs ?? {})) {
      const name = packageOf(path);
      byPackage.set(name, (byPackage.get(name) ?? 0) + input.bytesInOutput);
    }
  }
  return [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, limit);
}

async function bundle(repoRoot: string, entry: string, outDir: string) {
  const result = await build({
    ...esbuildBuildOptions(),
    entryPoints: [entry],
    outdir: outDir,
    metafile: true,
    logLevel: 'warning',
  });
  const metafile = result.metafile as Metafile;
  const code = Object.keys(metafile.outputs).filter((file) => file.endsWith('.mjs'));
  // Modules reached through `await import()` are entry points of their own to esbuild (written
  // under chunks/); the function's entry is the one `entryNames` puts at the top: index.mjs.
  const index = code.find((file) => file === join(relative(repoRoot, outDir), 'index.mjs'));
  if (!index) throw new Error(`${entry}: esbuild wrote no entry file`);
  const init = initFiles(metafile, index);
  const deferredFiles = code.filter((file) => !init.includes(file));
  const contents = async (files: readonly string[]) =>
    Buffer.concat(await Promise.all(files.map((file) => readFile(join(repoRoot, file)))));
  const initCode = await contents(init);
  const deferredCode = await contents(deferredFiles);
  return {
    outfile: join(repoRoot, index),
    deferredChunks: deferredFiles.map((file) => join(repoRoot, file)),
    bytes: initCode.byteLength,
    gzipBytes: gzipSync(initCode).byteLength,
    deferredBytes: deferredCode.byteLength,
    topPackages: topPackages(metafile, init),
    deferredPackages: topPackages(metafile, deferredFiles),
  };
}

/**
 * Starts a fresh `node` (the one running this script, so Node 24) with Lambda's
 * `--enable-source-maps`, imports the bundle and exits; returns the wall time and the import time.
 */
function coldStart(
  outfile: string,
  deferredChunks: readonly string[],
): Promise<{ processMs: number; importMs: number; cpuMs: number; deferredMs: number }> {
  // The process's wall time is measured to the end of init; the deferred chunks are imported after
  // the figures are taken (their time is reported on its own), and the process exits on its own.
  const probe = `const t0 = performance.now();
const m = await import(${JSON.stringify(pathToFileURL(outfile).href)});
if (typeof m.handler !== 'function') throw new Error('no handler export');
const importMs = performance.now() - t0;
const { user, system } = process.cpuUsage();
const initEnd = performance.now();
const t1 = performance.now();
for (const chunk of ${JSON.stringify(deferredChunks.map((c) => pathToFileURL(c).href))}) await import(chunk);
const deferredMs = performance.now() - t1;
process.stdout.write(JSON.stringify({ importMs, cpuMs: (user + system) / 1000, deferredMs, afterInitMs: performance.now() - initEnd }));`;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', probe], {
      env: { PATH: process.env.PATH, ...initEnvironment },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      const ended = performance.now() - started;
      if (code !== 0) {
        reject(new Error(`${outfile}: init failed (exit ${code})\n${err.slice(-2000)}`));
        return;
      }
      const figures = JSON.parse(out) as {
        importMs: number;
        cpuMs: number;
        deferredMs: number;
        afterInitMs: number;
      };
      // Wall time of start-up and init alone: what happened after init (the deferred imports) is
      // taken off, so every function's figure compares with the baselines', which defer nothing.
      resolve({
        processMs: ended - figures.afterInitMs,
        importMs: figures.importMs,
        cpuMs: figures.cpuMs,
        deferredMs: figures.deferredMs,
      });
    });
  });
}

/**
 * Bundles every function area and a hello-world function with the deployment's esbuild settings,
 * then measures cold init `runs` times each, interleaved so that machine noise hits all alike.
 */
export async function measureBundles(options: { repoRoot: string; outDir: string; runs: number }) {
  const { repoRoot, outDir, runs } = options;
  await mkdir(outDir, { recursive: true });
  const helloEntry = join(outDir, 'hello-world.ts');
  const dynamodbEntry = join(outDir, 'dynamodb-baseline.ts');
  const floorEntry = join(outDir, 'stack-floor.ts');
  await writeFile(helloEntry, HELLO_WORLD);
  await writeFile(dynamodbEntry, DYNAMODB_BASELINE);
  await writeFile(floorEntry, STACK_FLOOR);

  const entries = [
    { name: 'hello-world', entry: helloEntry },
    { name: 'dynamodb-baseline', entry: dynamodbEntry },
    { name: 'stack-floor', entry: floorEntry },
  ];
  // Every Lambda: the API areas first, then the workers (webhook, publisher, consumers, schedules).
  const names = readdirSync(join(repoRoot, 'functions')).sort();
  const ordered = [
    ...functionAreas,
    ...names.filter((n) => !(functionAreas as readonly string[]).includes(n)),
  ];
  const missing: string[] = [];
  for (const name of ordered) {
    const entry = join(repoRoot, 'functions', name, 'handler.ts');
    if (existsSync(entry)) entries.push({ name, entry });
    else missing.push(name);
  }

  const built = [];
  for (const { name, entry } of entries) {
    const dir = join(outDir, name);
    await rm(dir, { recursive: true, force: true });
    built.push({ name, entry, ...(await bundle(repoRoot, entry, dir)) });
  }

  const samples = new Map(
    built.map((b) => [
      b.name,
      {
        processMs: [] as number[],
        importMs: [] as number[],
        cpuMs: [] as number[],
        deferredMs: [] as number[],
        initRatio: [] as number[],
        cpuRatio: [] as number[],
      },
    ]),
  );
  const baselineBuild = built.find((b) => b.name === 'dynamodb-baseline');
  if (!baselineBuild) throw new Error('the dynamodb baseline was not built');
  const record = (name: string, sample: Awaited<ReturnType<typeof coldStart>>) => {
    const into = samples.get(name);
    into?.processMs.push(sample.processMs);
    into?.importMs.push(sample.importMs);
    into?.cpuMs.push(sample.cpuMs);
    into?.deferredMs.push(sample.deferredMs);
  };
  // One discarded round warms the file cache and the OS's view of the node binary. Every function
  // is measured right after a baseline process of its own, whose figures count as the baseline's.
  for (let round = 0; round <= runs; round++) {
    for (const b of built) {
      if (b === baselineBuild) continue;
      const base = await coldStart(baselineBuild.outfile, baselineBuild.deferredChunks);
      const sample = await coldStart(b.outfile, b.deferredChunks);
      if (round === 0) continue;
      record(baselineBuild.name, base);
      record(b.name, sample);
      samples.get(b.name)?.initRatio.push(sample.processMs / base.processMs);
      samples.get(b.name)?.cpuRatio.push(sample.cpuMs / base.cpuMs);
    }
  }

  const figures: BundleFigure[] = built.map((b) => ({
    name: b.name,
    entry: relative(repoRoot, b.entry),
    bytes: b.bytes,
    gzipBytes: b.gzipBytes,
    deferredBytes: b.deferredBytes,
    topPackages: b.topPackages,
    deferredPackages: b.deferredPackages,
    processMs: median(samples.get(b.name)?.processMs ?? []),
    importMs: median(samples.get(b.name)?.importMs ?? []),
    cpuMs: median(samples.get(b.name)?.cpuMs ?? []),
    deferredMs: b.deferredChunks.length === 0 ? 0 : median(samples.get(b.name)?.deferredMs ?? []),
    initRatio: b === baselineBuild ? 1 : median(samples.get(b.name)?.initRatio ?? []),
    cpuRatio: b === baselineBuild ? 1 : median(samples.get(b.name)?.cpuRatio ?? []),
  }));
  const [hello, dynamodb, floor, ...functions] = figures;
  if (!hello || !dynamodb || !floor) throw new Error('the baseline bundles were not built');
  return { hello, dynamodb, floor, functions, missing, runs } satisfies BundleReport;
}

/** Budget violations of one function, as short phrases; empty when it is within budget. */
export function bundleViolations(figure: Pick<BundleFigure, 'bytes' | 'initRatio'>): string[] {
  const violations: string[] = [];
  if (figure.bytes >= bundleBudgets.maxBytes)
    violations.push(`init code >= ${bundleBudgets.maxBytes / 1024} KB`);
  if (figure.initRatio > bundleBudgets.maxInitRatio) {
    violations.push(`init > ${bundleBudgets.maxInitRatio}x dynamodb-baseline`);
  }
  return violations;
}
