import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { initFiles, inputsOf } from '../../lib/bundling/init-files.ts';
import { defaultFunctionEntry } from '../../lib/constructs/app-function.ts';
import { esbuildBuildOptions, projectRoot } from '../../lib/constructs/bundling.ts';
import { type FunctionArea, functionAreas } from '../../shared/http/route.ts';
import { routesByArea } from '../../shared/http/routes.ts';

/** What a function's cold start reads: its init files' text and the sources in them. */
interface InitCode {
  readonly text: string;
  readonly inputs: readonly string[];
}

/** Bundles `area`'s function as deployed, without writing it: its init code only. */
async function initCodeOf(area: FunctionArea): Promise<InitCode> {
  const result = await build({
    ...esbuildBuildOptions(),
    entryPoints: [defaultFunctionEntry(area)],
    outdir: join(projectRoot, '.plinth', 'route-bundling', area),
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const metafile = result.metafile as Metafile;
  // A chunk reached by `await import()` of a source file has an `entryPoint` too: pick the handler's.
  const entry = Object.keys(metafile.outputs).find(
    (file) =>
      file.endsWith('.mjs') && metafile.outputs[file]?.entryPoint?.endsWith(`functions/${area}/handler.ts`),
  ) as string;
  const init = initFiles(metafile, entry);
  const text = result.outputFiles
    .filter((file) => init.some((path) => file.path === join(projectRoot, path)))
    .map((file) => file.text)
    .join('\n');
  return { text, inputs: inputsOf(metafile, init) };
}

/** operationIds are string literals that minification keeps: one in the code means its route is. */
const operationIdsOf = (area: FunctionArea) =>
  Object.values(routesByArea[area]).map((route) => route.operationId);
const literal = (operationId: string) => `"${operationId}"`;

describe("what an API function's init code holds of the route table", () => {
  const initCode = new Map<FunctionArea, InitCode>();
  const of = (area: FunctionArea) => initCode.get(area) as InitCode;

  beforeAll(async () => {
    for (const area of functionAreas) initCode.set(area, await initCodeOf(area));
  }, 240_000);

  it.each(functionAreas)("%s's init code holds its own area's routes", (area) => {
    const missing = operationIdsOf(area).filter((id) => !of(area).text.includes(literal(id)));

    expect(missing).toEqual([]);
  });

  it.each(functionAreas)("%s's init code holds no other area's routes", (area) => {
    const others = functionAreas.filter((other) => other !== area).flatMap(operationIdsOf);

    expect(others.filter((id) => of(area).text.includes(literal(id)))).toEqual([]);
  });

  it.each(functionAreas)(
    '%s imports neither the aggregate route table nor another area’s at init',
    (area) => {
      const routeModules = of(area).inputs.filter(
        (input) => input === 'shared/http/routes.ts' || input.startsWith('shared/http/routes/'),
      );

      expect(routeModules).not.toContain('shared/http/routes.ts');
      const areaModules = functionAreas.map((name) => `shared/http/routes/${name}.ts`);
      expect(routeModules.filter((input) => areaModules.includes(input))).toEqual([
        `shared/http/routes/${area}.ts`,
      ]);
    },
  );

  it('billing serves its routes without the projects schemas at init', () => {
    expect(of('billing').inputs).not.toContain('shared/projects/projects.schema.ts');
    expect(of('billing').inputs).toContain('shared/billing/billing.schema.ts');
  });

  // admin-billing's own routes answer with billing's schemas (invoices, disputes, the comp).
  it.each(functionAreas.filter((area) => area !== 'billing' && area !== 'admin-billing'))(
    "%s's tenancy check does not build billing's schemas at init",
    (area) => {
      expect(of(area).inputs).not.toContain('shared/billing/billing.schema.ts');
    },
  );

  it('system builds the OpenAPI document from code it loads on first use, not at init', () => {
    expect(of('system').inputs).not.toContain('shared/openapi/document.ts');
    expect(of('system').inputs.filter((input) => input.includes('zod-to-openapi'))).toEqual([]);
  });

  /** Messages of common schemas (shared/http/common.schema.ts) that minification keeps. */
  const emailCheck = 'the part before @ may have at most 64 characters';
  const slugCheck = 'lower-case letters, digits and single hyphens';
  const cursorCheck = 'an opaque cursor';

  it('admin-billing leaves the common schemas it does not use out of its init code', () => {
    expect(
      [emailCheck, slugCheck, cursorCheck].filter((text) => of('admin-billing').text.includes(text)),
    ).toEqual([]);
  });

  it('invitations keeps the common email schema it uses in its init code', () => {
    expect(of('invitations').text).toContain(emailCheck);
  });
});
