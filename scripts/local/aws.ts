/** Where a local AWS client talks: the moto endpoint, a region and moto's dummy credentials. */
export interface LocalAwsTarget {
  readonly endpoint: string;
  readonly region: string;
}

/** moto accepts any credentials; fixed ones keep the SDK from searching the machine for real ones. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

/** The config every AWS SDK v3 client gets locally (`new XClient(localClientConfig(target))`). */
export function localClientConfig(target: LocalAwsTarget) {
  return { region: target.region, endpoint: target.endpoint, credentials: LOCAL_CREDENTIALS };
}
