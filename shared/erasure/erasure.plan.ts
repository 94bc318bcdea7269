import {
  type ErasureReport,
  type ErasureStep,
  tenantPurgeSteps,
  type UserErasureStep,
  userErasureSteps,
} from './erasure.schema.ts';

/** What a step does and where, as the report says it (no personal data: the subject is not named). */
export interface StepDescription {
  readonly where: string;
  readonly action: 'deleted' | 'pseudonymised' | 'revoked' | 'mixed';
}

export const stepDescriptions: Readonly<Record<ErasureStep, StepDescription>> = {
  'cognito-user': { where: 'Cognito user pool: the sign-in identity', action: 'deleted' },
  memberships: {
    where:
      "DynamoDB TENANT#<tenant> MEMBER#<user> and MEMBER_EMAIL#: each membership, with the tenant's seat and owner counters",
    action: 'deleted',
  },
  invitations: {
    where:
      "DynamoDB invitations addressed to the email (gsi1 INVITEE#): pending ones revoked (seat freed), all deleted; the email's suppression entry deleted",
    action: 'revoked',
  },
  'product-events': {
    where: "DynamoDB TENANT#<tenant> PEVENT#<user>#… and PA_FIRST#<user> in each of the user's tenants",
    action: 'deleted',
  },
  'nps-answers': {
    where: 'DynamoDB NPS_ANSWERS#<month>: comment and user id removed; the score and the daily counts stay',
    action: 'pseudonymised',
  },
  'audit-log': {
    where:
      "DynamoDB TENANT#<tenant> AUDIT#… of the user's tenants: actor/target id and email, IP, and the user's id or email in before/after/reason replaced by the pseudonym, the hash of the originals kept so the chain verifies; PLATFORM_AUDIT entries about the user likewise",
    action: 'pseudonymised',
  },
  'tenant-records': {
    where:
      "DynamoDB TENANT#<tenant>, every other item of the user's tenants: support tickets, messages, communications (emails sent), outbox events, invitations they sent, projects they created: their id and email (also inside texts) replaced by the pseudonym; items keyed by the user (activity markers) deleted",
    action: 'mixed',
  },
  'user-exports': {
    where: "S3 exports bucket: users/<user>/ (the user's export archives)",
    action: 'deleted',
  },
  'user-items': {
    where: 'DynamoDB USER#<user> (profile, NPS marker, dismissals, activity markers)',
    action: 'deleted',
  },
  'stripe-customer': {
    where: 'Stripe: the customer (refused while a live subscription remains)',
    action: 'deleted',
  },
  exports: { where: 'S3 exports bucket: tenants/<tenant>/', action: 'deleted' },
  'sso-provider': {
    where:
      "Cognito user pool: the tenant's SSO identity provider (sso-<tenant>); Secrets Manager: its OIDC client secret (<prefix><tenant>), deleted without a recovery window",
    action: 'deleted',
  },
  analytics: {
    where:
      'DynamoDB MRR_MOVEMENTS#<month> and NPS_ANSWERS#<month>: the tenant id replaced by a pseudonym (NPS user id and comment removed); amounts, scores and snapshots unchanged',
    action: 'pseudonymised',
  },
  locators: {
    where:
      'DynamoDB SLUG#<slug>, CUSTOMER#<cus>, SUPPORT_TICKET#<ticket> LOCATOR, APIKEY#<key>, SSO_DOMAIN#<domain>: the items outside the tenant partition that point to it',
    action: 'deleted',
  },
  'tenant-items': { where: 'DynamoDB TENANT#<tenant>: every item, the tenant item last', action: 'deleted' },
  warehouse: {
    where:
      'S3 product warehouse, events/: the JSON lines of the user (user_id) or of the tenant (tenant_id) removed from each object holding one, the object rewritten under its key; run once late Firehose deliveries have landed',
    action: 'deleted',
  },
};

/**
 * The steps of a user's erasure that read the person's email (invitations and the suppression entry
 * are keyed by it; the audit log and tenant records hold it inside text). The erasure's work item
 * keeps the email only until the last of them finishes: the write that records that step removes it.
 */
export const stepsUsingEmail: ReadonlySet<ErasureStep> = new Set<ErasureStep>([
  'invitations',
  'audit-log',
  'tenant-records',
]);

/** Whether finishing `step` ends the erasure's need of the email (the last step that reads it). */
export function isLastStepUsingEmail(step: ErasureStep): boolean {
  return userErasureSteps.filter((planned) => stepsUsingEmail.has(planned)).at(-1) === step;
}

/** The steps an erasure of this kind runs, in order. */
export function plannedSteps(kind: 'user' | 'tenant'): readonly ErasureStep[] {
  return kind === 'user' ? userErasureSteps : tenantPurgeSteps;
}

/** The steps still to run: the planned ones the report does not record as finished, in order. */
export function remainingSteps(
  kind: 'user' | 'tenant',
  finished: Readonly<Record<string, unknown>>,
): ErasureStep[] {
  return plannedSteps(kind).filter((step) => finished[step] === undefined);
}

/** Whether a step is one of a user's erasure (as opposed to a tenant's purge). */
export const isUserStep = (step: ErasureStep): step is UserErasureStep =>
  (userErasureSteps as readonly string[]).includes(step);

/** The report's steps in plan order, merging what finished with the running counts. */
export function stepsOf(
  kind: 'user' | 'tenant',
  finished: Readonly<Record<string, { status: 'done' | 'skipped' | 'refused'; at: string; note?: string }>>,
  progress: Readonly<Record<string, Record<string, number>>>,
): ErasureReport['steps'] {
  return plannedSteps(kind).map((name) => {
    const done = finished[name];
    return {
      name,
      status: done?.status ?? 'pending',
      ...(done ? { at: done.at } : {}),
      where: stepDescriptions[name].where,
      action: stepDescriptions[name].action,
      counts: { ...(progress[name] ?? {}) },
      ...(done?.note ? { note: done.note } : {}),
    };
  });
}
