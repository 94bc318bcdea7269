/**
 * `npm run mail:feedback -- bounce|complaint <email>`: what SES would report through the stage's
 * configuration set and SNS, applied to the running `npm run dev` stack's table as the
 * `mail-feedback` consumer applies it (moto's SNS cannot invoke a Lambda): a permanent bounce or
 * an abuse complaint puts the address on the suppression list, and no Plinth mailer sends to it
 * again.
 */
import { createDocumentClient } from '../../shared/db/client.ts';
import { applySesFeedback, feedbackOfRecord } from '../../shared/mail/ses-feedback.ts';
import { LOCAL_CREDENTIALS } from './aws.ts';
import { readLocalStackFile } from './env.ts';
import { bounceReport, complaintReport, snsEvent } from './ses-notifications.ts';

/** Applies one made-up SES report for `email` to the table; returns the addresses it suppressed. */
export async function sendSesFeedback(
  target: { readonly endpoint: string; readonly region: string; readonly tableName: string },
  kind: 'bounce' | 'complaint',
  email: string,
): Promise<readonly string[]> {
  process.env.AWS_ACCESS_KEY_ID ??= LOCAL_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY ??= LOCAL_CREDENTIALS.secretAccessKey;
  const db = {
    client: createDocumentClient({ region: target.region, endpoint: target.endpoint }),
    tableName: target.tableName,
  };
  const report =
    kind === 'bounce' ? bounceReport({ to: email }) : complaintReport({ to: email, feedbackType: 'abuse' });
  const suppressed: string[] = [];
  for (const record of snsEvent(report).Records) {
    suppressed.push(...(await applySesFeedback(db, feedbackOfRecord(record))).suppressed);
  }
  return suppressed;
}

if (import.meta.main) {
  const [kind, email] = process.argv.slice(2);
  try {
    if ((kind !== 'bounce' && kind !== 'complaint') || !email?.includes('@')) {
      throw new Error('Usage: npm run mail:feedback -- bounce|complaint <email>');
    }
    const stack = await readLocalStackFile();
    const suppressed = await sendSesFeedback(
      { endpoint: stack.cognito.endpoint, region: stack.region, tableName: stack.tableName },
      kind,
      email,
    );
    console.log(`SES reported a ${kind} for ${email}; suppressed: ${suppressed.join(', ') || 'none'}`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}
