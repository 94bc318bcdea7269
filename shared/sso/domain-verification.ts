import { resolveTxt as dnsResolveTxt } from 'node:dns/promises';

/** Checks that a domain published the TXT record its claim asked for. */
export interface DomainVerifier {
  /** `simulated`: a local stack, where no DNS is looked up and every claim verifies. */
  readonly method: 'dns' | 'simulated';
  check(recordName: string, expected: string): Promise<{ readonly found: boolean; readonly detail: string }>;
}

/** DNS answers that mean "no such record" rather than a fault. */
const ABSENT = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN', 'ENONAME']);

/** Looks the TXT records up in DNS (`resolveTxt`, injectable for tests). */
export function createDnsVerifier(
  resolveTxt: (name: string) => Promise<string[][]> = dnsResolveTxt,
): DomainVerifier {
  return {
    method: 'dns',
    async check(recordName, expected) {
      let records: string[][];
      try {
        records = await resolveTxt(recordName);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (typeof code === 'string' && ABSENT.has(code)) {
          return { found: false, detail: `DNS has no TXT record at ${recordName} yet.` };
        }
        throw error;
      }
      // A long TXT value arrives split into strings of at most 255 characters: join each record's.
      const found = records.some((chunks) => chunks.join('') === expected);
      return {
        found,
        detail: found
          ? `DNS has the TXT record at ${recordName}.`
          : `The TXT records at ${recordName} do not include the expected value yet.`,
      };
    },
  };
}

/** Locally: verification is simulated (no DNS lookup) and says so. */
export const simulatedVerifier: DomainVerifier = {
  method: 'simulated',
  async check(recordName) {
    return {
      found: true,
      detail: `Simulated: this local stack does not look up DNS, so the TXT record at ${recordName} was not checked. In AWS the record must be published.`,
    };
  },
};
