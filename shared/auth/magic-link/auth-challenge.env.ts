import * as z from 'zod';

const schema = z.object({
  TABLE_NAME: z.string().min(1),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  /** Set only locally: the emulator. */
  AWS_ENDPOINT_URL: z.url().optional(),
});

/**
 * What the VerifyAuthChallengeResponse trigger reads: the table only. Not the pool's id: the pool
 * names the trigger, so the trigger naming the pool would be a circular reference in CloudFormation.
 */
export function readAuthChallengeEnv(source: NodeJS.ProcessEnv = process.env) {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const names = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new Error(`Invalid environment: ${names}`, { cause: parsed.error });
  }
  return parsed.data;
}
