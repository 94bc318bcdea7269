/**
 * `node scripts/bench/profile-init.ts [--runs N] [--top N] <function>...`: where a function's cold
 * init spends its CPU. Bundles `functions/<name>/handler.ts` (or the bench's `dynamodb-baseline`)
 * with the deployment's settings, starts a fresh `node --enable-source-maps --cpu-prof` that imports
 * it `--runs` times, maps every sample back through the bundle's source map and prints the self
 * time, summed over the runs and divided by them, per package (`plinth` for our own code) and per
 * source file. Prints figures, asserts nothing: a tool for finding what to defer, not a budget.
 *
 * Frames without a source position are V8's own: `(program)` is mostly parsing and compiling the
 * module text, `(garbage collector)` the GC.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { SourceMap } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { esbuildBuildOptions, projectRoot } from '#lib/constructs/bundling.ts';
import { DYNAMODB_BASELINE, initEnvironment } from './bundles.ts';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '5' },
    top: { type: 'string', default: '25' },
    functions: { type: 'boolean', default: false },
  },
});
const runs = Number(flags.runs);
const top = Number(flags.top);
const names = positionals.length > 0 ? positionals : ['admin'];

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly url: string;
    readonly lineNumber: number;
    readonly columnNumber: number;
    readonly functionName: string;
  };
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const outRoot = join(projectRoot, '.plinth', 'profile');

async function entryOf(name: string): Promise<string> {
  if (name !== 'dynamodb-baseline') return join(projectRoot, 'functions', name, 'handler.ts');
  const entry = join(outRoot, 'dynamodb-baseline.ts');
  await writeFile(entry, DYNAMODB_BASELINE);
  return entry;
}

/** Where a generated position comes from: `package` or `plinth <file>`; V8's own frames as named. */
function sourceOf(frame: ProfileNode['callFrame'], maps: Map<string, SourceMap | undefined>) {
  if (!frame.url.startsWith('file:')) return { pkg: frame.functionName || frame.url || '(native)', file: '' };
  const path = fileURLToPath(frame.url);
  if (!maps.has(path)) {
    const mapFile = `${path}.map`;
    maps.set(
      path,
      existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8'))) : undefined,
    );
  }
  const entry = maps.get(path)?.findEntry(frame.lineNumber, frame.columnNumber);
  const source = entry && 'originalSource' in entry ? entry.originalSource : undefined;
  if (!source) return { pkg: '(unmapped)', file: relative(projectRoot, path) };
  const original = source.startsWith('file:') ? fileURLToPath(source) : source;
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(original);
  const fn = entry && 'name' in entry && entry.name ? ` ${entry.name}` : ` ${frame.functionName}`;
  if (match) return { pkg: match[1] as string, file: `${match[1]}/${match[2]}${flags.functions ? fn : ''}` };
  return { pkg: 'plinth', file: `${relative(projectRoot, original)}${flags.functions ? fn : ''}` };
}

const add = (map: Map<string, number>, key: string, value: number) =>
  map.set(key, (map.get(key) ?? 0) + value);
const table = (title: string, map: Map<string, number>) => {
  const total = [...map.values()].reduce((a, b) => a + b, 0);
  console.log(`\n| ${title} | ms per init | share |\n| --- | ---: | ---: |`);
  for (const [key, value] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`| ${key} | ${(value / runs / 1000).toFixed(1)} | ${((100 * value) / total).toFixed(0)}% |`);
  }
};

for (const name of names) {
  const dir = join(outRoot, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await build({
    ...esbuildBuildOptions(),
    entryPoints: [await entryOf(name)],
    outdir: dir,
    logLevel: 'warning',
  });
  const index = join(dir, 'index.mjs');
  const profiles = join(dir, 'cpu');
  const probe = `await import(${JSON.stringify(pathToFileURL(index).href)});`;
  for (let run = 0; run < runs; run++) {
    const result = spawnSync(
      process.execPath,
      [
        '--enable-source-maps',
        '--cpu-prof',
        '--cpu-prof-interval',
        '100',
        '--cpu-prof-dir',
        profiles,
        '--input-type=module',
        '-e',
        probe,
      ],
      { env: { PATH: process.env.PATH, ...initEnvironment }, encoding: 'utf8' },
    );
    if (result.status !== 0) throw new Error(`${name}: init failed\n${result.stderr}`);
  }

  const byPackage = new Map<string, number>();
  const byFile = new Map<string, number>();
  const maps = new Map<string, SourceMap | undefined>();
  for (const file of readdirSync(profiles)) {
    const profile = JSON.parse(readFileSync(join(profiles, file), 'utf8')) as Profile;
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    profile.samples.forEach((id, i) => {
      const node = nodes.get(id);
      if (!node) return;
      const { pkg, file: source } = sourceOf(node.callFrame, maps);
      const micros = profile.timeDeltas[i] ?? 0;
      add(byPackage, pkg, micros);
      if (source) add(byFile, source, micros);
    });
  }
  const total = [...byPackage.values()].reduce((a, b) => a + b, 0);
  console.log(`\n## ${name}: ${(total / runs / 1000).toFixed(1)} ms sampled per init (${runs} runs)`);
  table('package or V8 frame', byPackage);
  table('source file', byFile);
}
