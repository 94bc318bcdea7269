import * as z from 'zod';

const schema = z.object({
  TABLE_NAME: z.string().min(1),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  AWS_ENDPOINT_URL: z.url().optional(),
  USER_POOL_ID: z.string().min(1),
  /** The app clients whose users' access tokens are accepted (comma-separated), as the JWT authorizer's audience. */
  USER_POOL_CLIENT_IDS: z
    .string()
    .min(1)
    .transform((value) =>
      value
        .split(',')
        .map((id) => id.trim())
        .filter(Boolean),
    ),
  /** Set only locally: the emulator's JWKS (Cognito's own otherwise). */
  COGNITO_JWKS_URI: z.url().optional(),
});

export type AuthorizerEnv = z.infer<typeof schema>;

/** The Lambda authorizer's environment, validated once; fails fast naming what is missing. */
export function readAuthorizerEnv(source: NodeJS.ProcessEnv = process.env): AuthorizerEnv {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const names = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new Error(`Invalid environment: ${names}`, { cause: parsed.error });
  }
  return parsed.data;
}
