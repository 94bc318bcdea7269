import * as z from 'zod';

// Not shared/config/env.ts: a trigger cannot be told the user pool's id (the pool names the
// function, so the function naming the pool would be a cycle); each event carries `userPoolId`.
const schema = z.object({
  TABLE_NAME: z.string().min(1),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  AWS_ENDPOINT_URL: z.url().optional(),
});

/** The SSO triggers' settings; fails fast naming every missing one. */
export function readTriggerEnv(source: NodeJS.ProcessEnv = process.env) {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const names = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new Error(`Invalid environment: ${names}`, { cause: parsed.error });
  }
  return parsed.data;
}
