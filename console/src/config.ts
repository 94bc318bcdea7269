/**
 * The console's runtime configuration, `config.json` beside `index.html`: written by the CDK stack
 * at deploy time (and by `npm run dev` locally), so one build serves every stage.
 */
export interface ConsoleConfig {
  readonly region: string;
  readonly userPoolId: string;
  readonly clientId: string;
  /** Where Cognito's JSON API is (`https://cognito-idp.<region>.amazonaws.com/`, or a local proxy). */
  readonly cognitoEndpoint: string;
  /** The API's origin; default: the console's own (CloudFront serves both). */
  readonly apiUrl?: string;
}

const required = ['region', 'userPoolId', 'clientId', 'cognitoEndpoint'] as const;

export async function loadConfig(
  fetchImpl: typeof fetch = fetch,
  url = 'config.json',
): Promise<ConsoleConfig> {
  const response = await fetchImpl(url, { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json could not be loaded (HTTP ${response.status}).`);
  const value = (await response.json()) as Record<string, unknown>;
  for (const name of required) {
    if (typeof value[name] !== 'string' || value[name] === '') {
      throw new Error(`config.json lacks "${name}".`);
    }
  }
  return value as unknown as ConsoleConfig;
}
