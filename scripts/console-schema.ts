/**
 * `npm run console:schema`: writes `console/src/api/schema.d.ts`, the console's API types, from the
 * OpenAPI document the route table generates (the one `GET /openapi.json` serves), with
 * openapi-typescript. test/unit/console-schema.test.ts fails when the committed file is stale.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { consoleSchemaSource } from './console-schema.lib.ts';
import { repoRoot } from './emulators/paths.ts';

const target = join(repoRoot, 'console', 'src', 'api', 'schema.d.ts');
await writeFile(target, await consoleSchemaSource());
console.log(`wrote ${target}`);
