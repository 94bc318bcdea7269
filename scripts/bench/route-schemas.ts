/**
 * `node scripts/bench/route-schemas.ts [--runs N]`: what building route schemas on a route's first
 * request (shared/http/route.ts) costs, per function area. A cold start builds none; the first
 * request to a route builds that route's schemas (and the shared ones they use), once per container.
 *
 * Each figure comes from a fresh `node` (a container's first request has a fresh module graph)
 * that has already loaded zod and parsed one object with it, as every cold start does when it reads
 * its environment, so only the route's own schemas are timed. Per area it prints the time to build
 * every route's schemas in one process (what each cold start paid before the schemas were thunks)
 * and, over one process per route, the median and the slowest route's first-request build.
 * Prints figures, asserts nothing.
 */

import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { projectRoot } from '#lib/constructs/bundling.ts';
import { functionAreas } from '#shared/http/route.ts';
import { routesByArea } from '#shared/http/routes.ts';
import { median, ms } from './stats.ts';

const { values: flags } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Number(flags.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');

const parts = ['params', 'query', 'headers', 'body', 'response'] as const;

/** Milliseconds a fresh process takes to build the schemas of `operationIds` (all of `area`'s when empty). */
function buildTime(area: string, operationIds: readonly string[]): number {
  const script = `
import * as z from 'zod';
const { routesByArea } = await import(${JSON.stringify(pathToFileURL(`${projectRoot}shared/http/routes.ts`).href)});
z.object({ warm: z.string().min(1) }).parse({ warm: 'zod' });
const wanted = ${JSON.stringify(operationIds)};
const routes = Object.values(routesByArea[${JSON.stringify(area)}]).filter((r) => wanted.length === 0 || wanted.includes(r.operationId));
const t0 = performance.now();
for (const route of routes) for (const part of ${JSON.stringify(parts)}) route[part]?.();
process.stdout.write(String(performance.now() - t0));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: projectRoot,
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(`${area}: ${child.stderr}`);
  return Number(child.stdout);
}

console.log('## Route schemas: built on the first request to a route, not at init\n');
console.log(
  `Fresh \`node\` per figure with zod loaded and warm; median of ${runs}. _Whole area_: every route's schemas in one process, ` +
    "what each cold start built before the schemas were thunks; _first request_: one route's, in a process of its own.\n",
);
console.log(
  '| function | routes | whole area | first request, median route | first request, slowest route |',
);
console.log('|---|---:|---:|---:|---|');
for (const area of functionAreas) {
  const routes = Object.values(routesByArea[area]);
  const whole = median(Array.from({ length: runs }, () => buildTime(area, [])));
  const perRoute = routes.map((route) => ({
    operationId: route.operationId,
    ms: median(Array.from({ length: runs }, () => buildTime(area, [route.operationId]))),
  }));
  const slowest = perRoute.reduce((a, b) => (b.ms > a.ms ? b : a));
  console.log(
    `| ${area} | ${routes.length} | ${ms(whole)} | ${ms(median(perRoute.map((r) => r.ms)))} | ${ms(slowest.ms)} (${slowest.operationId}) |`,
  );
}
