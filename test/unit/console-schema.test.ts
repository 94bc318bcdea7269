import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { consoleSchemaSource } from '../../scripts/console-schema.lib.ts';
import { repoRoot } from '../../scripts/emulators/paths.ts';

describe('the console API types', () => {
  it('are the ones the route table generates today (run `npm run console:schema` when this fails)', async () => {
    const committed = await readFile(join(repoRoot, 'console', 'src', 'api', 'schema.d.ts'), 'utf8');
    expect(committed === (await consoleSchemaSource())).toBe(true);
  }, 30_000);
});
