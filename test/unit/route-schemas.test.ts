import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Runs `body` in a fresh `node` (its own module graph, as a cold start has) after installing zod's
 * post-construction hook, which counts every schema and check built; prints what `body` returns.
 */
function inFreshProcess(body: string): unknown {
  const script = `
let built = 0;
globalThis.__zod_globalConfig = { postProcessor: () => { built += 1; } };
const { routeList } = await import(${JSON.stringify(`${root}shared/http/routes.ts`)});
const result = await (async () => { ${body} })();
process.stdout.write(JSON.stringify(result));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(child.stderr);
  return JSON.parse(child.stdout);
}

describe("route schemas are built on a route's first request, not when its module loads", () => {
  it('importing the whole route table builds no zod schema', () => {
    const result = inFreshProcess(`
const atImport = built;
// The counter must see schemas being built, or a zero above proves nothing.
const route = routeList.find((r) => r.operationId === 'listAuditLog');
route.query(); route.response();
return { routes: routeList.length, atImport, afterOneRoute: built };`) as Record<string, number>;

    expect(result.routes).toBeGreaterThan(100);
    expect(result.atImport).toBe(0);
    expect(result.afterOneRoute).toBeGreaterThan(0);
  });

  it("building one route's schemas builds none of another area's", () => {
    const result = inFreshProcess(`
const route = routeList.find((r) => r.operationId === 'listAuditLog');
route.params(); route.query(); route.response();
const afterAudit = built;
routeList.find((r) => r.operationId === 'searchTenants').response();
return { afterAudit, afterAdmin: built };`) as Record<string, number>;

    expect(result.afterAdmin).toBeGreaterThan(result.afterAudit ?? 0);
  });

  it("each of a route's schema thunks returns the same schema every time: built once per container", () => {
    const result = inFreshProcess(`
let same = true;
for (const r of routeList) {
  for (const part of ['params', 'query', 'headers', 'body', 'response']) {
    if (r[part] && r[part]() !== r[part]()) same = false;
  }
}
const before = built;
for (const r of routeList) for (const part of ['params', 'query', 'headers', 'body', 'response']) r[part]?.();
return { same, rebuilt: built - before };`) as Record<string, unknown>;

    expect(result.same).toBe(true);
    expect(result.rebuilt).toBe(0);
  });
});
