/**
 * `npm run admin:backfill -- --stage local` or `-- --table <name> [--region <region>]`: a one-off
 * migration for a table written before the operators' search (GET /admin/tenants, /admin/users)
 * and the indexed platform audit log existed. It gives existing tenants, slug claims and owners'
 * memberships their search entries (gsi2), writes each member's profile, and indexes the platform
 * audit entries by operator and tenant (shared/admin/search-backfill.ts). It Scans the table once
 * (a migration, never a request path); safe to run twice or while the API runs. Needs
 * `dynamodb:Scan`, `dynamodb:Query` and `dynamodb:UpdateItem` on the table.
 */

import { parseArgs } from 'node:util';
import { backfillSearchIndex } from '../shared/admin/search-backfill.ts';
import { createDocumentClient } from '../shared/db/client.ts';
import { LOCAL_CREDENTIALS } from './local/aws.ts';
import { readLocalStackFile } from './local/env.ts';

const USAGE = 'Usage: npm run admin:backfill -- --stage local | --table <name> [--region <region>]';

if (import.meta.main) {
  try {
    const { values } = parseArgs({
      args: process.argv.slice(2),
      options: { stage: { type: 'string' }, table: { type: 'string' }, region: { type: 'string' } },
    });
    if (values.stage !== 'local' && !values.table) throw new Error(USAGE);
    const local = values.stage === 'local' ? await readLocalStackFile() : undefined;
    const tableName = values.table ?? (local?.tableName as string);
    const client = createDocumentClient({
      region: local?.region ?? values.region ?? process.env.AWS_REGION ?? 'us-east-1',
      // moto serves every service on one endpoint; the file names it as Cognito's.
      endpoint: local?.cognito.endpoint,
      credentials: local ? LOCAL_CREDENTIALS : undefined,
    });
    try {
      const result = await backfillSearchIndex({ client, tableName });
      console.log(
        `admin backfill of ${tableName}: ${result.searchEntries} search entries, ${result.profiles} profiles, ${result.auditEntries} platform audit entries`,
      );
    } finally {
      client.destroy();
    }
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}
