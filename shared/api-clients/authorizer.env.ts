/**
 * The Lambda authorizer's environment. Read without zod: the authorizer runs before every uncached
 * request on its routes, and its bundle stays small so its cold start stays short.
 */
export interface AuthorizerEnv {
  readonly TABLE_NAME: string;
  readonly AWS_REGION: string;
  /** Set only locally: every AWS client talks to this endpoint (moto server). */
  readonly AWS_ENDPOINT_URL: string | undefined;
  readonly USER_POOL_ID: string;
  /** The app clients whose users' access tokens are accepted (`USER_POOL_CLIENT_IDS`, comma-separated). */
  readonly USER_POOL_CLIENT_IDS: readonly string[];
  /** Set only locally: the emulator's JWKS (Cognito's own otherwise). */
  readonly COGNITO_JWKS_URI: string | undefined;
}

/** Reads the authorizer's environment once; fails fast naming every missing variable. */
export function readAuthorizerEnv(source: NodeJS.ProcessEnv = process.env): AuthorizerEnv {
  const clientIds = (source.USER_POOL_CLIENT_IDS ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  const missing = [
    ...(['TABLE_NAME', 'USER_POOL_ID'] as const).filter((name) => !source[name]),
    ...(clientIds.length === 0 ? ['USER_POOL_CLIENT_IDS'] : []),
  ];
  if (missing.length > 0) throw new Error(`Invalid environment: ${missing.join(', ')}`);
  return {
    TABLE_NAME: source.TABLE_NAME as string,
    AWS_REGION: source.AWS_REGION || 'us-east-1',
    AWS_ENDPOINT_URL: source.AWS_ENDPOINT_URL || undefined,
    USER_POOL_ID: source.USER_POOL_ID as string,
    USER_POOL_CLIENT_IDS: clientIds,
    COGNITO_JWKS_URI: source.COGNITO_JWKS_URI || undefined,
  };
}
