/**
 * Stripe's own object fixtures, as stripe-mock ships them: `embedded/openapi/fixtures3.json` in the
 * stripe-mock Go module that `npm run emulators:install` builds (pinned in
 * scripts/emulators/install.ts), read from the Go module cache, where its `go install` left the
 * module's source (found with `go mod download -json`, offline). The webhook test payloads
 * (test/support/stripe-events.ts) start from these objects and override only what a test
 * controls, so they carry every field Stripe's OpenAPI spec gives each object.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { STRIPE_MOCK_MODULE, STRIPE_MOCK_VERSION } from '../../scripts/emulators/install.ts';

/** The object types the webhook tests build events from. */
export type FixtureResource =
  | 'subscription'
  | 'invoice'
  | 'charge'
  | 'refund'
  | 'dispute'
  | 'checkout.session'
  | 'event'
  | 'price'
  | 'coupon'
  | 'discount';

/** Go's module cache spells capitals as `!` + lower case. */
const escapedModulePath = (path: string) => path.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);

let openApiDir: string | undefined;

/**
 * Where the pinned stripe-mock's embedded OpenAPI files are: the module's directory as
 * `go mod download -json` reports it from the cache (`GOPROXY=off`: no download), or Go's default
 * cache location when Go is not on the PATH.
 */
export function stripeMockOpenApiDir(): string {
  if (openApiDir) return openApiDir;
  const module = `${STRIPE_MOCK_MODULE}@${STRIPE_MOCK_VERSION}`;
  let dir: string | undefined;
  try {
    const out = execFileSync(process.env.PLINTH_GO || 'go', ['mod', 'download', '-json', module], {
      encoding: 'utf8',
      cwd: tmpdir(),
      stdio: ['ignore', 'pipe', 'ignore'],
      // Tests make no network calls: only what the cache holds (the installer put it there).
      env: { ...process.env, GOPROXY: 'off', GOFLAGS: '-mod=mod' },
    });
    dir = (JSON.parse(out) as { Dir?: string }).Dir;
  } catch {
    // No Go, or not in the cache: the default location below, and a clear error if absent.
  }
  const cache = process.env.GOMODCACHE ?? join(process.env.GOPATH ?? join(homedir(), 'go'), 'pkg', 'mod');
  openApiDir = join(
    dir ?? join(cache, `${escapedModulePath(STRIPE_MOCK_MODULE)}@${STRIPE_MOCK_VERSION}`),
    'embedded',
    'openapi',
  );
  return openApiDir;
}

let fixtures: Readonly<Record<string, Record<string, unknown>>> | undefined;

function loadFixtures(): Readonly<Record<string, Record<string, unknown>>> {
  if (fixtures) return fixtures;
  const path = join(stripeMockOpenApiDir(), 'fixtures3.json');
  if (!existsSync(path)) {
    throw new Error(
      `stripe-mock's fixtures are not at ${path}: run \`npm run emulators:install\` (or \`go mod download ${STRIPE_MOCK_MODULE}@${STRIPE_MOCK_VERSION}\` after a \`go clean -modcache\`) to put them there.`,
    );
  }
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as {
    resources: Record<string, Record<string, unknown>>;
  };
  fixtures = parsed.resources;
  return fixtures;
}

/** A fresh deep copy of Stripe's fixture of `resource` (safe to change). */
export function stripeFixture(resource: FixtureResource): Record<string, unknown> {
  const fixture = loadFixtures()[resource];
  if (!fixture) throw new Error(`stripe-mock has no fixture for ${resource}`);
  return structuredClone(fixture);
}

/** The API version of the OpenAPI spec stripe-mock speaks (its fixtures are shaped by it). */
export function stripeMockSpecVersion(): string {
  const head = readFileSync(join(stripeMockOpenApiDir(), 'spec3.json'), 'utf8');
  const match = /"version"\s*:\s*"(\d{4}-\d{2}-\d{2}\.[a-z]+)"/.exec(head);
  if (!match?.[1]) throw new Error('stripe-mock spec3.json names no version');
  return match[1];
}
