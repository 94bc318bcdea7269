/**
 * `npm run bench`: prints figures, asserts nothing.
 *
 * 1. Per function area: the bundle esbuild makes with the deployment's settings (the ones AppFunction
 *    reads from lib/constructs/bundling.ts; size minified and gzipped, biggest packages) and its cold
 *    init (a fresh `node` importing it, median of `--runs`), next to a hello-world function bundled
 *    and started the same way, and the extra time the first use of its deferred chunks takes.
 *    Budgets are flagged: each function's init code under 500 KB, each cold init at most 1.5x
 *    `dynamodb-baseline` (median, same run).
 * 2. p50/p99 latency of `GET /v1/tenants/{tenantId}/projects` on the local stack (moto + local
 *    server, loopback only), `--requests` sequential requests after `--warmup` untimed ones.
 *
 * 3. Stripe webhooks on the local stack: throughput and p50/p99 for a burst of distinct signed events
 *    and for a burst of one event delivered again and again (scripts/bench/webhooks.ts, run in a
 *    process of its own because the handlers read their environment once per process).
 *
 * 4. What each API route and webhook type consumes (DynamoDB request units, Lambda invocations, bus
 *    events, queue messages, its asynchronous fan-out included) and the cost model built on it
 *    (scripts/bench/costs.ts and cost-model.ts, a process of its own for the same reason as 3).
 *
 * 5. The metrics rollup: items read, DynamoDB calls and time for one day's rollup with 1,000 and
 *    10,000 paying tenants and the same number of changes that day (scripts/bench/rollup.ts).
 *
 * 6. What tenant-scoped credentials cost: cold and warm latency of a tenant request with and
 *    without them, and STS calls per tenant per container (scripts/bench/isolation.ts).
 * 7. The API authorizer's warm cost per call, for an API key and a user's token
 *    (scripts/bench/authorizer.ts; its cold init is in table 1 as `api-authorizer`).
 *
 * Flags: --runs N (7), --requests N (300), --warmup N (20), --projects N (25), --skip-latency
 * (skips 2 to 7: bundles only, no emulator needed).
 * Output is Markdown, ready for BENCHMARKS.md.
 */

import { spawnSync } from 'node:child_process';
import { cpus, loadavg, platform, release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type BundleFigure, bundleBudgets, bundleViolations, measureBundles } from './bench/bundles.ts';
import { kb, ms } from './bench/stats.ts';
import { repoRoot } from './emulators/paths.ts';

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    requests: { type: 'string', default: '300' },
    warmup: { type: 'string', default: '20' },
    projects: { type: 'string', default: '25' },
    'skip-latency': { type: 'boolean', default: false },
  },
});

function count(name: keyof typeof flags): number {
  const value = Number(flags[name]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

// Silence the handlers' request logs before anything imports the logger.
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`# Plinth benchmarks\n`);
const load = () => (loadavg()[0] ?? 0).toFixed(1);
console.log(
  `${new Date().toISOString().slice(0, 10)} · Node ${process.versions.node} · ${platform()} ${release()} · ` +
    `${cpus().length} × ${cpu} · load average ${load()} at start\n`,
);

const bundles = await measureBundles({
  repoRoot,
  outDir: join(repoRoot, '.plinth', 'bench'),
  runs: count('runs'),
});
const { hello, dynamodb, floor } = bundles;
console.log(`## Function bundles and cold init\n`);
console.log(
  'esbuild with the settings AppFunction uses (lib/constructs/bundling.ts: ESM with code splitting, node24, minified, linked source map without sources, ' +
    'everything bundled incl. @aws-sdk, whose default credential chain is replaced by an env-only provider). ' +
    '_Init code_: `index.mjs` and the chunks it imports statically, what a cold start reads; _deferred_: the chunks reached only through ' +
    '`await import()` (stripe-node, the SSM and SES clients), read on first use. ' +
    `Cold init: wall time of a fresh \`node --enable-source-maps\` that imports the bundle, median of ${bundles.runs}; ` +
    "_× ddb_: the median of each run's ratio to a `dynamodb-baseline` process started just before it (paired, so a busy spell of the shared machine hits both sides); " +
    `init CPU: that process's user + system time; import: the \`import()\` alone inside it; first use: importing every deferred chunk after init, in that process. ` +
    `Budgets: init code < ${bundleBudgets.maxBytes / 1024} KB, cold init <= ${bundleBudgets.maxInitRatio}x \`dynamodb-baseline\` ` +
    '(hello world plus a DynamoDB document client: the floor of any function that reads the table). ' +
    '_stack-floor_ (not budgeted) adds what every API function starts from before zod and any code of its own: the environment read, ' +
    'the Powertools logger and middy.\n',
);
console.log(
  '| function | init code | gzip | deferred | cold init | × ddb | init CPU | × ddb | import | first use | biggest packages at init | deferred packages | budget |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|');
const violations: string[] = [];
const packageList = (packages: BundleFigure['topPackages']) =>
  packages.map(([name, bytes]) => `${name} ${kb(bytes)}`).join(', ') || '–';
for (const figure of [hello, dynamodb, floor, ...bundles.functions]) {
  const isBaseline = figure === hello || figure === dynamodb || figure === floor;
  const problems = isBaseline ? [] : bundleViolations(figure);
  violations.push(...problems.map((p) => `${figure.name}: ${p}`));
  console.log(
    `| ${figure.name} | ${kb(figure.bytes)} | ${kb(figure.gzipBytes)} | ${figure.deferredBytes ? kb(figure.deferredBytes) : '–'} | ` +
      `${ms(figure.processMs)} | ${figure.initRatio.toFixed(2)} | ${ms(figure.cpuMs)} | ` +
      `${figure.cpuRatio.toFixed(2)} | ${ms(figure.importMs)} | ${figure.deferredMs ? ms(figure.deferredMs) : '–'} | ` +
      `${packageList(figure.topPackages)} | ${packageList(figure.deferredPackages)} | ` +
      `${figure === floor ? 'reference' : isBaseline ? 'baseline' : problems.length === 0 ? 'ok' : `**over: ${problems.join('; ')}**`} |`,
  );
}
if (bundles.missing.length > 0) console.log(`\nNo entry yet for: ${bundles.missing.join(', ')}.`);
console.log(
  violations.length === 0
    ? `\nAll functions within budget (hello world: ${ms(hello.processMs)}, dynamodb-baseline: ${ms(dynamodb.processMs)}).`
    : `\nOver budget: ${violations.join(', ')}.`,
);

if (!flags['skip-latency']) {
  const { measureListProjectsLatency } = await import('./bench/latency.ts');
  const latency = await measureListProjectsLatency({
    requests: count('requests'),
    warmup: count('warmup'),
    projects: count('projects'),
  });
  console.log(`\n## Request latency on the local stack\n`);
  console.log(
    `${latency.requests} sequential requests after ${count('warmup')} untimed ones, ${latency.itemsPerPage} items per page; ` +
      'loopback: local API server (JWT check, handler in process) → moto. A regression signal for the request path, not a Lambda figure.\n',
  );
  console.log('| route | p50 | p99 | mean | max |');
  console.log('|---|---:|---:|---:|---:|');
  console.log(
    `| ${latency.route} | ${ms(latency.p50)} | ${ms(latency.p99)} | ${ms(latency.mean)} | ${ms(latency.max)} |`,
  );
}

if (!flags['skip-latency']) {
  const webhooks = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'bench', 'webhooks.ts')], {
    stdio: 'inherit',
  });
  if (webhooks.status !== 0) throw new Error(`the webhook bench failed (exit ${webhooks.status})`);
  const costs = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'bench', 'costs.ts')], {
    stdio: 'inherit',
  });
  if (costs.status !== 0) throw new Error(`the cost bench failed (exit ${costs.status})`);
  // The metrics rollup's reads with 1,000 and 10,000 paying tenants (scripts/bench/rollup.ts).
  const rollup = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'bench', 'rollup.ts')], {
    stdio: 'inherit',
  });
  if (rollup.status !== 0) throw new Error(`the rollup bench failed (exit ${rollup.status})`);
  // Tenant-scoped credentials: STS per tenant, cold and warm (scripts/bench/isolation.ts).
  const isolation = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'bench', 'isolation.ts')], {
    stdio: 'inherit',
  });
  if (isolation.status !== 0) throw new Error(`the isolation bench failed (exit ${isolation.status})`);
  // The API authorizer's warm cost per call, key and token (scripts/bench/authorizer.ts).
  const authorizer = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'bench', 'authorizer.ts')], {
    stdio: 'inherit',
  });
  if (authorizer.status !== 0) throw new Error(`the authorizer bench failed (exit ${authorizer.status})`);
}

console.log(
  `\nLoad average ${load()} at the end: figures taken on a busy machine are noisy; compare runs on one machine.`,
);
