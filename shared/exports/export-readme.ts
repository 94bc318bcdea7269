import type { ExportSubject } from './export-sources.ts';

/** What each file of an archive holds, by file name (tenant kinds by their lower-case kind). */
const fileDescriptions: Record<string, string> = {
  profile:
    "The user's own records: their profile (email last seen, sign-in, MFA, suspension), latest NPS answer, dismissed announcements and activity markers (`kind` says which), and `identity`: the email address the identity provider (Cognito) holds.",
  memberships: 'Every tenant the user belongs to, with their role and status there.',
  'invitations-received': "Invitations sent to the user's email address, from any tenant, pending or not.",
  'invitations-sent': 'Invitations the user sent in this tenant.',
  'audit-as-actor': "This tenant's audit entries of actions the user took.",
  'audit-as-target': "This tenant's audit entries of actions others took on the user.",
  'support-tickets': 'Support tickets the user opened in this tenant.',
  'support-messages': 'Support ticket messages the user wrote in this tenant.',
  'product-events': 'Product usage events recorded for the user in this tenant (kept for a limited time).',
  emails: 'Emails Plinth sent to the user on behalf of this tenant (the communication history).',
  'nps-answers': 'The user\'s answers to the NPS survey ("How likely are you to recommend…").',
  tenant: 'The tenant itself: name, slug, status, counters, settings.',
  member: "The tenant's members, their roles and status.",
  'member-email': 'One record per member email (guards against inviting a member twice).',
  invitation: "The tenant's invitations.",
  'invite-email': 'Pending invitation guards, one per invited email.',
  project: "The tenant's projects.",
  'project-slug': 'Project slug guards (unique slugs per tenant).',
  audit:
    'The tenant\'s audit log, oldest first, each entry with its hash chain (`chain`): `previousHash`, `personalHash`, `entryHash`, computed as README "Tamper-evident audit" of Plinth describes, so the log can be verified outside Plinth against the daily digests.',
  billing: "The tenant's billing state as mirrored from Stripe: plan, status, period, customer id.",
  invoice: "The tenant's invoices (mirrored from Stripe).",
  'invoice-id': 'Invoice id → invoice record locators.',
  charge: 'Charge id → invoice record locators (refunds).',
  credit: 'Credits operators gave the tenant.',
  outbox: 'Domain events of the tenant as written for the event bus (kept a week after publishing).',
  notified: 'Marks of bus events already mailed to the tenant.',
  'mrr-state': "The tenant's monthly recurring revenue as last recorded.",
  'mrr-event': 'Marks of subscription events applied to the MRR.',
  'support-ticket': "The tenant's support tickets.",
  'support-msg': "The tenant's support ticket messages (internal notes included).",
  comm: "The tenant's communication history: ticket messages, emails sent to its people, announcements.",
  pevent: 'Raw product usage events (kept for a limited time).',
  'pa-day': 'Daily product usage counts and active users.',
  'pa-week': 'Weekly active users.',
  'pa-month': 'Monthly active users.',
  'pa-seen': 'Activity markers (one per user and period).',
  'pa-first': "Each user's first activity (retention cohort).",
  'pa-cohort': 'Retention cohort cells.',
  'announcement-delivered': "Announcements shown to the tenant's people.",
};

/** What common fields mean, wherever they appear. */
const fieldDescriptions: Record<string, string> = {
  type: 'what the record is',
  kind: 'what the record is (from its key)',
  userId: 'a user id',
  tenantId: 'a tenant id',
  email: 'an email address',
  role: 'the role in the tenant (owner, admin, manager, member)',
  status: 'the state of the record',
  createdAt: 'when it was created (ISO 8601, UTC)',
  updatedAt: 'when it last changed',
  joinedAt: 'when the user joined the tenant',
  at: 'when it happened',
  ttl: 'when Plinth deletes it (Unix seconds)',
  expiresAt: 'when it expires',
  entryId: 'the audit entry id',
  actor: 'who acted (user id, email, kind)',
  action: 'what was done',
  target: 'what it was done to (type, id)',
  before: 'the state before',
  after: 'the state after',
  requestId: 'the API request that did it',
  sourceIp: 'the IP address the request came from',
  reason: 'the reason given',
  impersonatedBy: 'the operator and session when an operator acted as the user',
  chain: 'the hash chain link of the entry (previousHash, personalHash, entryHash)',
  identity: 'the identity provider record',
  subject: 'the subject line',
  body: 'the text',
  to: 'recipients',
  invitedBy: 'the user who sent the invitation',
  name: 'the name',
  slug: 'the URL name',
  score: 'the NPS score (0-10)',
  comment: 'the free-text comment',
};

export interface ReadmeInput {
  readonly subject: ExportSubject;
  readonly jobId: string;
  readonly requestedAt: string;
  readonly expiresAt: string;
  /** Paths of the archive's files (without the README), in archive order. */
  readonly files: readonly string[];
  /** Records per file base (path without root, part suffix and `.json`). */
  readonly counts: Readonly<Record<string, number>>;
  /** Top-level fields seen per file base. */
  readonly fields: Readonly<Record<string, readonly string[]>>;
  readonly itemsRead: number;
}

/** The file base of an archive path: `root/tenants/t1/emails.part2.json` → `tenants/t1/emails`. */
export function fileBaseOf(path: string): string {
  return path
    .slice(path.indexOf('/') + 1)
    .replace(/\.json$/, '')
    .replace(/\.part\d+$/, '');
}

function describeFile(base: string): string {
  const leaf = base.split('/').at(-1) ?? base;
  return (
    fileDescriptions[leaf] ??
    `Items of kind ${leaf.toUpperCase().replace(/-/g, '_')} in the tenant's partition.`
  );
}

/**
 * The archive's README.md: what the export is, then each file with what it holds, how many
 * records, and every field its records carry (each named, with its meaning where Plinth knows one).
 */
export function renderReadme(input: ReadmeInput): string {
  const who =
    input.subject.scope === 'user'
      ? `everything Plinth keeps about user \`${input.subject.userId}\``
      : `all of the data of tenant \`${input.subject.tenantId}\``;
  const bases = [...new Set(input.files.map(fileBaseOf))];
  const lines = [
    `# Plinth data export ${input.jobId}`,
    '',
    `This archive holds ${who}, as of ${input.requestedAt}. It was read from Plinth's table page by page (${input.itemsRead} items read). Plinth deletes it on ${input.expiresAt}.`,
    '',
    'Every file is JSON: an array of records, one per stored item, with the storage keys left out. A file with more records than fit in one part continues in `<name>.part2.json`, `<name>.part3.json`, …',
    '',
    '## Files',
    '',
  ];
  if (bases.length === 0) lines.push('No records were found.', '');
  for (const base of bases) {
    const paths = input.files.filter((path) => fileBaseOf(path) === base);
    lines.push(`### ${base}.json`, '');
    lines.push(describeFile(base), '');
    lines.push(
      `Records: ${input.counts[base] ?? 0}. Files: ${paths.map((path) => `\`${path}\``).join(', ')}.`,
      '',
    );
    lines.push('Fields:', '');
    for (const field of input.fields[base] ?? []) {
      const meaning = fieldDescriptions[field];
      lines.push(`- \`${field}\`${meaning ? `: ${meaning}` : ''}`);
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
