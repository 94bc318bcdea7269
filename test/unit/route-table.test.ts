import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { functionAreas, type RouteDefinition, routeKey } from '#shared/http/route.ts';
import { routeList, routes, routesByArea } from '#shared/http/routes.ts';

const routesFolder = new URL('../../shared/http/routes/', import.meta.url);

const isRoute = (value: unknown): value is RouteDefinition =>
  typeof value === 'object' &&
  value !== null &&
  'operationId' in value &&
  'path' in value &&
  'method' in value;

/** Every route that any module under shared/http/routes/ exports, by its export. */
async function routesInAreaModules(): Promise<RouteDefinition[]> {
  const files = readdirSync(routesFolder).filter((file) => file.endsWith('.ts'));
  const found: RouteDefinition[] = [];
  for (const file of files) {
    const module = (await import(new URL(file, routesFolder).href)) as Record<string, unknown>;
    for (const exported of Object.values(module)) {
      if (typeof exported === 'object' && exported !== null)
        found.push(...Object.values(exported).filter(isRoute));
    }
  }
  return found;
}

const duplicates = (values: readonly string[]) => values.filter((v, i) => values.indexOf(v) !== i);

describe('the aggregate route table (shared/http/routes.ts)', () => {
  it('lists every route that an area module defines', async () => {
    const defined = await routesInAreaModules();

    expect(defined.filter((route) => !routeList.includes(route)).map(routeKey)).toEqual([]);
  });

  it('lists each route once', () => {
    expect(duplicates(routeList.map(routeKey))).toEqual([]);
    expect(new Set(routeList).size).toBe(routeList.length);
  });

  it('gives each route its own operationId', () => {
    expect(duplicates(routeList.map((route) => route.operationId))).toEqual([]);
  });

  it('names every route of the list, none hidden by another area using the same name', () => {
    expect(Object.keys(routes)).toHaveLength(routeList.length);
    expect(new Set(Object.values(routes))).toEqual(new Set(routeList));
  });

  it.each(functionAreas)("holds in the %s module only that area's routes", (area) => {
    const foreign = Object.values(routesByArea[area]).filter((route) => route.area !== area);

    expect(foreign.map(routeKey)).toEqual([]);
  });
});
