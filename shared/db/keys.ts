/**
 * Every key string of the single table is built here and nowhere else.
 *
 * Access patterns (which query serves which route):
 *
 * | entity            | pk                  | sk                          | gsi1pk            | gsi1sk               | serves |
 * |-------------------|---------------------|-----------------------------|-------------------|----------------------|--------|
 * | user profile      | USER#<userId>       | PROFILE                     |                   |                      | GET /v1/me |
 * | tenant            | TENANT#<tenantId>   | TENANT                      |                   |                      | GET/PATCH/DELETE /v1/tenants/{id}, every tenant-scoped check |
 * | tenant slug guard | SLUG#<slug>         | SLUG                        |                   |                      | POST /v1/tenants (unique slug, conditional put) |
 * | membership        | TENANT#<tenantId>   | MEMBER#<userId>             | USER#<userId>     | TENANT#<tenantId>    | members routes (Query pk + begins_with MEMBER#); GET /v1/tenants (Query gsi1) |
 * | member email guard| TENANT#<tenantId>   | MEMBER_EMAIL#<email>        |                   |                      | POST invitations: 409 when the email is already a member |
 * | invitation        | TENANT#<tenantId>   | INVITATION#<invitationId>   | INVITEE#<email>   | INVITATION#<id>      | tenant invitations (Query pk); GET /v1/me/invitations and accept (Query gsi1) |
 * | pending guard     | TENANT#<tenantId>   | INVITE_EMAIL#<email>        |                   |                      | one pending invitation per email and tenant; holds a seat until accepted, revoked or reclaimed after expiry (Query pk + begins_with INVITE_EMAIL#, expiresAt <= now) |
 * | project           | TENANT#<tenantId>   | PROJECT#<projectId>         |                   |                      | projects routes (Query pk + begins_with PROJECT#) |
 * | project slug guard| TENANT#<tenantId>   | PROJECT_SLUG#<slug>         |                   |                      | unique project slug per tenant |
 * | audit entry       | TENANT#<tenantId>   | AUDIT#<isoTime>#<entryId>   | TENANT#<tenantId>#ACTOR#<userId> | AUDIT#<isoTime>#<entryId> | audit log (Query pk, sk between times; actor filter on gsi1); expires by TTL (AUDIT_RETENTION_DAYS, per stage) |
 * | billing state     | TENANT#<tenantId>   | BILLING                     | DUNNING (only while past due and not yet restricted) | <graceEndsAt>#<tenantId> | billing routes; read with tenant+member on every request; dunning sweep (Query gsi1 DUNNING, gsi1sk <= now) |
 * | stripe customer   | CUSTOMER#<cus_id>   | CUSTOMER                    |                   |                      | webhook: customer id -> tenant id |
 * | stripe event      | STRIPE_EVENT#<evt_id> | EVENT                     |                   |                      | webhook: each event id applied once (conditional put in the state change's transaction) |
 * | invoice           | TENANT#<tenantId>   | INVOICE#<createdIso>#<in_id>|                   |                      | GET billing/invoices (Query pk + begins_with INVOICE#, newest first) |
 * | invoice locator   | TENANT#<tenantId>   | INVOICE_ID#<in_id>          |                   |                      | webhook: invoice id -> invoice sort key |
 * | charge locator    | TENANT#<tenantId>   | CHARGE#<ch_id>              |                   |                      | webhook: charge id -> invoice sort key (refunds) |
 * | outbox event      | TENANT#<tenantId>   | OUTBOX#<eventId>            | OUTBOX_UNPUBLISHED (only until EventBridge accepted the event) | <writtenAt>#<eventId> | written in the state change's transaction; the stream publisher puts it on the bus and clears gsi1 (conditional UpdateItem REMOVE); `npm run outbox:replay` (Query gsi1 OUTBOX_UNPUBLISHED, gsi1sk between from and now - min age) republishes what is still marked |
 * | notification mark | TENANT#<tenantId>   | NOTIFIED#<eventId>          |                   |                      | notifications consumer: each bus event mailed once (conditional put; expires by TTL) |
 * | rate-limit window | RATE#<policy>#<subject> | WINDOW#<windowStartMs>  |                   |                      | shared/ratelimit: one conditional UpdateItem per check (ADD hits if hits + cost <= limit); one item per window, never read back; expires by TTL after its window |
 * | API request window| RATE#api-requests#<tenantId> | WINDOW#<windowStartMs> |              |                      | every tenant-scoped request, where the tenant is resolved (shared/ratelimit/api-rate-limit.ts): the rate-limit window above, per tenant and plan limit |
 * | (health check)    |                     |                             | OUTBOX_UNPUBLISHED | <writtenAt>#<eventId> | GET /admin/health: the oldest unpublished outbox item (Query gsi1, Limit 1) and how many (Select COUNT pages, bounded) |
 * | MRR state        | TENANT#<tenantId>   | MRR_STATE                   | MRR_SUBSCRIBED (only while its MRR > 0 or its last subscription event had a live status) | <tenantId> | movements consumer: the tenant's MRR, plan and last change time (optimistic `version`; read and written with each movement); metrics-reconcile lists every paying (or trialing, past due, unpaid) tenant by the sparse gsi1 entry (Query gsi1 MRR_SUBSCRIBED); the rollup never reads it |
 * | reconciliation   | METRICS_RECONCILIATIONS | <YYYY-MM-DD>            |                   |                      | metrics-reconcile: the run's summary of one day (Put, replaced by a re-run); GET /admin/metrics/reconciliation?date= (GetItem) |
 * | drift            | METRICS_RECONCILIATION#<YYYY-MM-DD> | <runId>#<tenantId> |          |                      | metrics-reconcile: one item per tenant whose ledger MRR and billing MRR disagree (expires by TTL); GET /admin/metrics/reconciliation (Query pk, begins_with the summary's runId) |
 * | MRR event mark   | TENANT#<tenantId>   | MRR_EVENT#<eventId>         |                   |                      | movements consumer: each subscription event applied once (conditional put in the movement's transaction; expires by TTL) |
 * | MRR movement     | MRR_MOVEMENTS#<YYYY-MM> | <occurredAt>#<eventId>  | MRR_MOVEMENTS#<YYYY-MM>#<type> | <occurredAt>#<eventId> | metrics-rollup: one day's movements (Query pk, sk between <day> and <day>~); GET /admin/metrics/movements?month=&type= (Query pk, or gsi1 for one type) |
 * | dirty day        | METRICS_DIRTY       | <YYYY-MM-DD>                |                   |                      | written with every movement; metrics-rollup recomputes from the earliest dirty day up to the day it rolls up (Query pk, sk <= day) |
 * | metrics snapshot | METRICS_SNAPSHOTS   | <YYYY-MM-DD>                |                   |                      | metrics-rollup: the previous day's snapshot (GetItem); admin metrics API (Query pk, sk between from and to) |
 * | acquisition spend| METRICS_SPEND       | <YYYY-MM>                   |                   |                      | PUT /admin/metrics/spend/{month}; admin metrics API reads a month's spend (GetItem) for CAC |
 * | platform audit   | PLATFORM_AUDIT      | AUDIT#<isoTime>#<entryId>   |                   |                      | every operator change (operator, action, target, before/after, reason, request id, IP; a copy goes to the target tenant's log as a support action), written in the change's transaction by shared/admin/platform-audit.ts |
 * | search: tenant name | TENANT#<tenantId> | TENANT                 | (gsi2pk) SEARCH#TENANT#<first char> | (gsi2sk) <lower-case name>#<tenantId> | GET /admin/tenants?q= (Query gsi2, begins_with the lower-cased q); written with the tenant and its renames |
 * | search: tenant slug | SLUG#<slug>       | SLUG                        | (gsi2pk) SEARCH#TENANT#<first char> | (gsi2sk) <slug>#<tenantId> | same query: the slug guard carries the tenant's slug |
 * | search: owner email | TENANT#<tenantId> | MEMBER#<userId> (owners only) | (gsi2pk) SEARCH#TENANT#<first char> | (gsi2sk) <email>#<tenantId> | same query: an owner's membership carries their email while they are an owner (set and removed with the role) |
 * | user profile (search) | USER#<userId>   | PROFILE                     | (gsi2pk) SEARCH#USER#<first char> | (gsi2sk) <email>#<userId> | GET /admin/users?q= (Query gsi2); written (Update) with every membership the user gets; also holds `status` (suspension, read in the tenant resolve's BatchGet), `lastSignInAt` and `mfaEnabled` (Update by the MFA routes; read in the same resolve BatchGet for a tenant's `requireMfa`, by GET /v1/me, and per page of GET /v1/tenants/{id}/members with one BatchGet) |
 * | former tenant    | USER#<userId>       | FORMER_TENANT#<tenantId>    |                   |                      | written (Put) in the transaction that removes a membership; DELETE /v1/me (Query pk + begins_with FORMER_TENANT#) adds these tenants to the ones an erasure pseudonymises the person in, since their audit log and tickets still name them; deleted with the user's items |
 * | magic link       | USER#<userId>       | MAGIC_LINK                  |                   |                      | POST /v1/auth/magic-link: the user's one pending sign-in link (Put: a new request supersedes the last), only a sha256 of the token and its expiry; the VerifyAuthChallengeResponse trigger consumes it with one conditional DeleteItem (hash matches and not expired), so a link works once; expires by TTL |
 * | platform audit (by operator / tenant) | PLATFORM_AUDIT | AUDIT#<isoTime>#<entryId> | PLATFORM_AUDIT#OPERATOR#<operatorId>; (gsi2pk) PLATFORM_AUDIT#TENANT#<tenantId> | AUDIT#<isoTime>#<entryId> (both) | GET /admin/audit-log?operator= (Query gsi1) and ?tenantId= (Query gsi2), newest first |
 * | NPS last answer  | USER#<userId>       | NPS_LAST                    |                   |                      | POST /v1/tenants/{id}/nps: one answer per user per 90 days (conditional put); GET /v1/me/nps |
 * | NPS answer       | NPS_ANSWERS#<YYYY-MM> | <answeredAt>#<answerId>   |                   |                      | every answer with its tenant, user, score and comment (written with the answer) |
 * | NPS day          | NPS_DAYS            | <YYYY-MM-DD>                |                   |                      | promoters, passives, detractors answered that day (ADD in the answer's transaction); admin metrics read the 90 days before a date (Query pk, sk between) |
 * | rollup lease     | METRICS_ROLLUP      | LEASE                       |                   |                      | metrics-rollup: one run at a time (conditional put, expires; deleted by its holder) |
 * | product event    | TENANT#<tenantId>   | PEVENT#<userId>#<eventId>   |                   |                      | POST /v1/tenants/{id}/events: the raw event; its conditional put dedupes a retried id per tenant and user, in one transaction with its counts; expires by TTL (PRODUCT_EVENT_TTL_DAYS, per stage); its stream INSERT is copied to the warehouse (Firehose) by product-activity |
 * | event count      | TENANT#<tenantId> or PA_PLATFORM | PA_DAY#<day>#EVENT#<name> |            |                      | ADD per accepted event (same transaction as the raw event); GET analytics/usage, GET /admin/metrics/features (Query pk, sk between PA_DAY#<from> and PA_DAY#<to>~) |
 * | active users     | TENANT#<tenantId> or PA_PLATFORM | PA_DAY#<day>#USERS, PA_WEEK#<isoWeek>#USERS, PA_MONTH#<YYYY-MM>#USERS | | | DAU/WAU/MAU: ADD 1 with the user's first-activity marker of the period (one transaction); read by the usage and features routes (Query pk, sk between) |
 * | activity marker  | TENANT#<tenantId> / USER#<userId> | PA_SEEN#<period>#<userId> / PA_SEEN#<period> |  |             | one per user and day, week, month (tenant and platform): conditional put, so each user counts once per period; never queried (GetItem), expires by TTL 8 days after its period |
 * | first activity   | TENANT#<tenantId> / USER#<userId> | PA_FIRST#<userId> / PA_FIRST |            |                      | the user's retention cohort (ISO week of first activity), conditional put |
 * | retention cell   | TENANT#<tenantId> or PA_PLATFORM | PA_COHORT#<cohortWeek>#<week> |          |                      | cohort users active in that week: ADD 1 with the weekly marker; GET analytics/retention, GET /admin/metrics/retention (Query pk, sk between PA_COHORT#<from> and PA_COHORT#<to>~) |
 * | billing credit   | TENANT#<tenantId>   | CREDIT#<createdIso>#<cbtxn_id> |                |                      | POST /admin/tenants/{id}/credits: the Stripe customer balance credit, put (attribute_not_exists) in one transaction with its platform and tenant audit entries; GET /admin/tenants/{id}/billing (Query pk + begins_with CREDIT#, newest first) |
 * | impersonation session | IMPERSONATION#<sessionId> | SESSION           | IMPERSONATION_OPEN (only until ended) | <expiresAt>#<sessionId> | POST /admin/impersonations (conditional put with its audit entries); every request under impersonation (GetItem, or BatchGet with the path's tenant item); GET /admin/impersonations (Query gsi1, gsi1sk > now: open and unexpired); DELETE /admin/impersonations/{id} (conditional UpdateItem REMOVE gsi1); expires by TTL at expiresAt |
 * | support ticket   | TENANT#<tenantId>   | SUPPORT_TICKET#<ticketId>   | SUPPORT_TICKETS   | <status>#<priorityRank>#<createdAt>#<ticketId> | shared/support: GET/POST tenant tickets (Query pk + begins_with SUPPORT_TICKET#); GET /admin/support/tickets?status=&priority= (Query gsi1 SUPPORT_TICKETS, begins_with <status>#[<rank>#]: one partition, fine for support volumes); `messageCount` guards message order (conditional update in each message's transaction) |
 * | ticket locator   | SUPPORT_TICKET#<ticketId> | LOCATOR                |                   |                      | /admin/support/tickets/{ticketId}: ticket id -> tenant id (GetItem; written with the ticket) |
 * | ticket message   | TENANT#<tenantId>   | SUPPORT_MSG#<ticketId>#<seq 6 digits> |          |                      | a ticket's messages and internal notes in order (Query pk + begins_with SUPPORT_MSG#<ticketId>#); conditional put (attribute_not_exists) with the ticket's counter |
 * | communication    | TENANT#<tenantId>   | COMM#<isoTime>#<id>         |                   |                      | GET /admin/tenants/{id}/communications (Query pk + begins_with COMM#, newest first): one item per ticket message (in its transaction), per email sent (shared/mail/mail-log.ts, one Put per email), per announcement delivered (recordCommunication); expires by TTL (COMMUNICATION_RETENTION_DAYS, per stage) |
 * | email suppression| EMAIL#<lower-case email> | SUPPRESSION            |                   |                      | SES bounce/complaint consumer (functions/mail-feedback) writes it; every mailer reads it before sending (GetItem, BatchGet for several recipients); emailDeliveryStatus for the admin user/tenant detail |
 * | announcement     | ANNOUNCEMENTS       | ANNOUNCEMENT#<announcementId> | ANNOUNCEMENTS_LIVE (only while not withdrawn) | <expiresAt>#<announcementId> | GET/PATCH /admin/announcements/{id} (GetItem); GET /admin/announcements?status= (Query pk newest first, status as a filter on the times); GET /v1/me/announcements and the mail sweep (Query gsi1 ANNOUNCEMENTS_LIVE, gsi1sk > now: the unexpired, unwithdrawn ones, a small set by nature; publishAt <= now filtered at read, so scheduled ones appear without a write) |
 * | dismissal        | USER#<userId>       | ANNOUNCEMENT_DISMISSED#<announcementId> |         |                      | POST /v1/me/announcements/{id}/dismiss (Put, idempotent); GET /v1/me/announcements reads the live ones' dismissals in the BatchGet that reads the user's tenants and billing (user read = Query live ‖ Query gsi1 USER# memberships, then one BatchGet per 100 keys); expires by TTL after the announcement |
 * | announcement delivered | TENANT#<tenantId> | ANNOUNCEMENT_DELIVERED#<announcementId> |  |             | the first GET /v1/me/announcements that shows it to one of the tenant's people: put (attribute_not_exists) in one transaction with the tenant's `announcement` communication entry, so the history lists it once; expires by TTL after the announcement |
 * | announcement mail| ANNOUNCEMENT_MAIL#<announcementId> | USER#<userId> |                 |                      | announcement-mail consumer: each addressed user mailed once per critical announcement (conditional put claimed before sending, settled after; expires by TTL) |
 * | mail page done   | ANNOUNCEMENT_MAIL#<announcementId> | PAGE#<page> |                     |                      | announcement-mail consumer: a page of users done and its next page queued (GetItem first, Put last), so a redelivered page queues no second chain; expires by TTL |
 * | audit day        | AUDIT_DAY#<YYYY-MM-DD> | TENANT#<tenantId>        | AUDIT_DIGEST_DUE (only while entries of that day are not yet digested) | <YYYY-MM-DD>#<tenantId> | product-activity marks it with each audit INSERT (UpdateItem ADD marks); audit-digest (Query gsi1 AUDIT_DIGEST_DUE, gsi1sk < the last closed day) chains the day, writes the digest to S3 and here, removes gsi1 if marks is unchanged; audit-verify (Query pk: the tenants of a recent day) and GET audit-log/verify (GetItem per day) compare it with S3 |
 * | API client       | TENANT#<tenantId>   | APICLIENT#<clientId>        |                   |                      | shared/api-clients: GET /v1/tenants/{id}/api-clients (Query pk + begins_with APICLIENT#); create, rotate, revoke (conditional writes in one transaction with the key item and the audit entry); read in the tenant resolve's BatchGet of every request an API client makes (revoked or rotated key: 401 at once, whatever the authorizer cached) and its `lastUsedAt` set there (conditional UpdateItem, at most once a minute) |
 * | API key          | APIKEY#<keyId>      | APIKEY                      |                   |                      | the Lambda authorizer (functions/api-authorizer): `plk_<keyId>_<secret>` -> tenant, client, SHA-256 of the key (GetItem; its IAM grant is limited to `APIKEY#` partitions); put with the client, replaced on rotation, deleted on revocation |
 * | erasure report   | ERASURE#<erasureId> | REPORT                      | ERASURE_PENDING (only until completed or blocked); (gsi2pk) ERASURES | <requestedAt>#<erasureId> (both) | shared/erasure: DELETE /v1/me, POST /admin/users/{id}/erasure and /admin/tenants/{id}/purge put it (conditional: the id is derived from the subject, so a second request finds the first); the erasure-run schedule claims pending ones (Query gsi1 ERASURE_PENDING) and records each step and its counts on it (conditional Update per step, SET progress in each batch's transaction, with `cursor:<step>` where a step resumes from a position: the warehouse's last object key); a step that must wait (the warehouse, for late Firehose deliveries) sets leaseUntil and moves gsi1sk to `<until>#<erasureId>`; GET /admin/erasures (Query gsi2 ERASURES, newest first) and /admin/erasures/{id} (GetItem); POST /admin/erasures/{id}/retry puts a blocked one back on ERASURE_PENDING (conditional Update on status blocked, with the platform audit entry). Holds no personal data |
 * | erasure work     | ERASURE#<erasureId> | WORK                        |                   |                      | the inputs an erasure needs while it runs (user id, email, tenant ids): written with the report; the email removed (Update, in the transaction that records the last step reading it), the item deleted when the erasure completes |
 * | (purge due)      | TENANT#<tenantId>   | TENANT                      | TENANT_PURGE_DUE (set with the soft delete) | <deletedAt>#<tenantId> | tenant-purge schedule: soft-deleted tenants whose grace period ended (Query gsi1 TENANT_PURGE_DUE, gsi1sk <= now - grace); gone with the tenant item when purged |
 * | user product events | TENANT#<tenantId> | PEVENT#<userId>#…, PA_FIRST#<userId> |        |                      | erasure: one user's raw events and first activity in a tenant (Query pk + begins_with) |
 * | NPS answers of a month (erasure) | NPS_ANSWERS#<YYYY-MM> | <answeredAt>#<answerId> |   |                      | erasure: a user's or tenant's answers (Query pk per month since the subject was created, filter on userId / tenantId) |
 * | SSO config       | TENANT#<tenantId>   | SSO                         |                   |                      | PUT/GET/DELETE /v1/tenants/{id}/sso (Update, GetItem, Delete with the claims); read in the tenant resolve's BatchGet (`requireSso`, verified `domains`); the SSO triggers read it (GetItem) for the default role |
 * | SSO domain claim | SSO_DOMAIN#<domain> | CLAIM                       |                   |                      | POST sso/domains: one tenant per domain (conditional put in one transaction with the config's `domains` entry); verification (conditional update); GET /v1/auth/sso?email= and the PreSignUp trigger: domain -> tenant and provider (GetItem) |
 * | export job (user) | USER#<userId>      | EXPORT#<jobId>              |                   |                      | POST /v1/me/exports (conditional put); GET /v1/me/exports/{id} (GetItem: another user's id is simply not there); export-worker (GetItem, conditional UpdateItem lease/cursor/status: a redelivered event finds the lease or the finished state and does nothing twice); expires by TTL after the stage's export retention |
 * | export job (tenant) | TENANT#<tenantId> | EXPORT#<jobId>            |                   |                      | POST /v1/tenants/{id}/exports (owners); GET …/exports/{id} (GetItem after the tenant resolve); export-worker as above; a tenant export skips these items |
 * | (export reads)   | USER#<userId>; TENANT#<tenantId>; gsi1 USER#<userId>, INVITEE#<email>, TENANT#<t>#ACTOR#<userId>; NPS_ANSWERS#<YYYY-MM> | | | | export-worker pages with Query only (never Scan): a tenant export reads its whole partition in sk order (kinds arrive grouped); a user export reads their partition, memberships (gsi1), invitations to their email (gsi1), and per tenant they belong to: their audit entries as actor (gsi1), the audit log filtered on target.id, invitations filtered on invitedBy, tickets on requesterUserId, messages on author.userId, emails on `to` (filters read the whole prefix of that tenant), product events by key prefix PEVENT#<userId>#; NPS answers by month partition filtered on userId, from the user's first membership |
 *
 * Ids are ULID-like (time-ordered), so sort keys list in creation order.
 */

const tenantPk = (tenantId: string) => `TENANT#${tenantId}`;

/** The partition prefix of API key items: the authorizer's IAM grant is limited to it (dynamodb:LeadingKeys). */
export const API_KEY_PK_PREFIX = 'APIKEY#';

/**
 * How a searchable name, slug or email is stored and queried: Unicode-normalised, lower-cased,
 * trimmed, so a prefix search ignores case.
 */
export function searchTerm(value: string): string {
  return value.normalize('NFKC').toLowerCase().trim();
}

/** The search partition of a term: its first character (code point). */
const searchShard = (term: string) => [...term][0] ?? '';

export const keys = {
  userProfile: (userId: string) => ({ pk: `USER#${userId}`, sk: 'PROFILE' }),

  tenant: (tenantId: string) => ({ pk: tenantPk(tenantId), sk: 'TENANT' }),
  tenantSlug: (slug: string) => ({ pk: `SLUG#${slug}`, sk: 'SLUG' }),

  member: (tenantId: string, userId: string) => ({
    pk: tenantPk(tenantId),
    sk: `MEMBER#${userId}`,
    gsi1pk: `USER#${userId}`,
    gsi1sk: tenantPk(tenantId),
  }),
  memberEmail: (tenantId: string, email: string) => ({ pk: tenantPk(tenantId), sk: `MEMBER_EMAIL#${email}` }),
  membersPrefix: (tenantId: string) => ({ pk: tenantPk(tenantId), skPrefix: 'MEMBER#' }),
  membershipsOfUser: (userId: string) => ({ gsi1pk: `USER#${userId}`, gsi1skPrefix: 'TENANT#' }),

  invitation: (tenantId: string, invitationId: string, email: string) => ({
    pk: tenantPk(tenantId),
    sk: `INVITATION#${invitationId}`,
    gsi1pk: `INVITEE#${email}`,
    gsi1sk: `INVITATION#${invitationId}`,
  }),
  invitationsPrefix: (tenantId: string) => ({ pk: tenantPk(tenantId), skPrefix: 'INVITATION#' }),
  invitationsForEmail: (email: string) => ({ gsi1pk: `INVITEE#${email}`, gsi1skPrefix: 'INVITATION#' }),
  invitationForEmail: (email: string, invitationId: string) => ({
    gsi1pk: `INVITEE#${email}`,
    gsi1sk: `INVITATION#${invitationId}`,
  }),
  pendingInvitation: (tenantId: string, email: string) => ({
    pk: tenantPk(tenantId),
    sk: `INVITE_EMAIL#${email}`,
  }),
  pendingInvitationsPrefix: (tenantId: string) => ({ pk: tenantPk(tenantId), skPrefix: 'INVITE_EMAIL#' }),

  project: (tenantId: string, projectId: string) => ({ pk: tenantPk(tenantId), sk: `PROJECT#${projectId}` }),
  projectsPrefix: (tenantId: string) => ({ pk: tenantPk(tenantId), skPrefix: 'PROJECT#' }),
  projectSlug: (tenantId: string, slug: string) => ({ pk: tenantPk(tenantId), sk: `PROJECT_SLUG#${slug}` }),

  auditEntry: (tenantId: string, at: string, entryId: string, actorId: string) => ({
    pk: tenantPk(tenantId),
    sk: `AUDIT#${at}#${entryId}`,
    gsi1pk: `${tenantPk(tenantId)}#ACTOR#${actorId}`,
    gsi1sk: `AUDIT#${at}#${entryId}`,
  }),
  auditRange: (tenantId: string, from?: string, to?: string) => ({
    pk: tenantPk(tenantId),
    // '~' sorts after every character an ISO time or id uses, so `to` is inclusive.
    skFrom: `AUDIT#${from ?? ''}`,
    skTo: `AUDIT#${to ?? ''}~`,
  }),
  auditByActor: (tenantId: string, actorId: string) => ({ gsi1pk: `${tenantPk(tenantId)}#ACTOR#${actorId}` }),

  apiClient: (tenantId: string, clientId: string) => ({
    pk: tenantPk(tenantId),
    sk: `APICLIENT#${clientId}`,
  }),
  apiClientsPrefix: (tenantId: string) => ({ pk: tenantPk(tenantId), skPrefix: 'APICLIENT#' }),
  /** The authorizer's lookup of a presented key; `API_KEY_PK_PREFIX` is what its IAM grant allows. */
  apiKey: (keyId: string) => ({ pk: `${API_KEY_PK_PREFIX}${keyId}`, sk: 'APIKEY' }),

  billing: (tenantId: string) => ({ pk: tenantPk(tenantId), sk: 'BILLING' }),
  /** gsi1 attributes the billing item carries while past due and not yet restricted. */
  dunning: (tenantId: string, graceEndsAt: string) => ({
    gsi1pk: 'DUNNING',
    gsi1sk: `${graceEndsAt}#${tenantId}`,
  }),
  dunningDue: (now: string) => ({ gsi1pk: 'DUNNING', gsi1skBefore: `${now}#~` }),
  stripeCustomer: (customerId: string) => ({ pk: `CUSTOMER#${customerId}`, sk: 'CUSTOMER' }),
  stripeEvent: (eventId: string) => ({ pk: `STRIPE_EVENT#${eventId}`, sk: 'EVENT' }),
  invoice: (tenantId: string, createdIso: string, invoiceId: string) => ({
    pk: tenantPk(tenantId),
    sk: `INVOICE#${createdIso}#${invoiceId}`,
  }),
  invoicesPrefix: (tenantId: string) => ({ pk: tenantPk(tenantId), skPrefix: 'INVOICE#' }),
  invoiceLocator: (tenantId: string, invoiceId: string) => ({
    pk: tenantPk(tenantId),
    sk: `INVOICE_ID#${invoiceId}`,
  }),
  chargeLocator: (tenantId: string, chargeId: string) => ({
    pk: tenantPk(tenantId),
    sk: `CHARGE#${chargeId}`,
  }),
  outbox: (tenantId: string, eventId: string) => ({ pk: tenantPk(tenantId), sk: `OUTBOX#${eventId}` }),
  /**
   * gsi1 attributes an outbox item carries from its write until EventBridge accepted its event: a
   * sparse index of the events that have not reached the bus, oldest first. One partition: every
   * outbox write and clear is one write to it (fine to about 500 events a second; shard the key
   * beyond that).
   */
  outboxUnpublished: (writtenAt: string, eventId: string) => ({
    gsi1pk: 'OUTBOX_UNPUBLISHED',
    gsi1sk: `${writtenAt}#${eventId}`,
  }),
  /** The unpublished outbox items written at or after `from` (or ever) and before `before` (ISO times). */
  outboxUnpublishedBetween: (from: string | undefined, before: string) => ({
    gsi1pk: 'OUTBOX_UNPUBLISHED',
    gsi1skFrom: from,
    // An item written at `before` has the key `<before>#<eventId>`, which sorts after `before`.
    gsi1skBefore: before,
  }),
  /** Marks a bus event (by its `detail.eventId`) as mailed by the notifications consumer. */
  notified: (tenantId: string, eventId: string) => ({ pk: tenantPk(tenantId), sk: `NOTIFIED#${eventId}` }),
  /**
   * A rate limiter's counter for one window of one subject. Policy names have no `#`, so any
   * subject (a tenant id, a user id, a hashed email) is unambiguous after them.
   */
  rateLimitWindow: (policy: string, subject: string, windowStartMs: number) => ({
    pk: `RATE#${policy}#${subject}`,
    sk: `WINDOW#${windowStartMs}`,
  }),
  /** The tenant's MRR as the movements consumer last applied it. */
  mrrState: (tenantId: string) => ({ pk: tenantPk(tenantId), sk: 'MRR_STATE' }),
  /**
   * gsi1 attributes the MRR state carries while the tenant pays or holds a live subscription: the
   * sparse index metrics-reconcile lists tenants by (tenant-id order, no hot sort key).
   */
  mrrSubscribed: (tenantId: string) => ({ gsi1pk: 'MRR_SUBSCRIBED', gsi1sk: tenantId }),
  mrrSubscribedIndex: () => ({ gsi1pk: 'MRR_SUBSCRIBED' }),
  /** Marks a subscription event (by its `detail.eventId`) as applied by the movements consumer. */
  mrrEventMark: (tenantId: string, eventId: string) => ({
    pk: tenantPk(tenantId),
    sk: `MRR_EVENT#${eventId}`,
  }),
  /** One MRR movement, in its month's partition, sorted by time; gsi1 lists a month's movements of one type. */
  mrrMovement: (month: string, type: string, occurredAt: string, eventId: string) => ({
    pk: `MRR_MOVEMENTS#${month}`,
    sk: `${occurredAt}#${eventId}`,
    gsi1pk: `MRR_MOVEMENTS#${month}#${type}`,
    gsi1sk: `${occurredAt}#${eventId}`,
  }),
  /** The movements of one UTC day (`YYYY-MM-DD`): sk between the bounds, inclusive. */
  mrrMovementsOfDay: (day: string) => ({
    pk: `MRR_MOVEMENTS#${day.slice(0, 7)}`,
    skFrom: day,
    skTo: `${day}~`,
  }),
  /** The movements of one UTC month (`YYYY-MM`), all types or one. */
  mrrMovementsOfMonth: (month: string) => ({ pk: `MRR_MOVEMENTS#${month}` }),
  mrrMovementsOfMonthByType: (month: string, type: string) => ({ gsi1pk: `MRR_MOVEMENTS#${month}#${type}` }),
  /** A day whose snapshot must be (re)computed because a movement for it was recorded. */
  metricsDirtyDay: (day: string) => ({ pk: 'METRICS_DIRTY', sk: day }),
  metricsDirtyDays: () => ({ pk: 'METRICS_DIRTY' }),
  /** The metrics snapshot of one UTC day. */
  metricsSnapshot: (day: string) => ({ pk: 'METRICS_SNAPSHOTS', sk: day }),
  metricsSnapshots: () => ({ pk: 'METRICS_SNAPSHOTS' }),
  /** Held by the metrics rollup while it runs, so two runs never interleave their snapshot writes. */
  metricsRollupLease: () => ({ pk: 'METRICS_ROLLUP', sk: 'LEASE' }),
  /** The summary of the reconciliation of one UTC day (the latest run's). */
  metricsReconciliation: (day: string) => ({ pk: 'METRICS_RECONCILIATIONS', sk: day }),
  /** One tenant's drift found by a reconciliation run of a day. */
  metricsDrift: (day: string, runId: string, tenantId: string) => ({
    pk: `METRICS_RECONCILIATION#${day}`,
    sk: `${runId}#${tenantId}`,
  }),
  metricsDriftsOfRun: (day: string, runId: string) => ({
    pk: `METRICS_RECONCILIATION#${day}`,
    skPrefix: `${runId}#`,
  }),
  /** A month's acquisition spend, by channel. */
  metricsSpend: (month: string) => ({ pk: 'METRICS_SPEND', sk: month }),
  /** An audit entry of a platform-wide operator action (not any tenant's). */
  platformAuditEntry: (at: string, entryId: string) => ({
    pk: 'PLATFORM_AUDIT',
    sk: `AUDIT#${at}#${entryId}`,
  }),
  /** gsi1 attributes of a platform audit entry: the operator's entries, newest first. */
  platformAuditByOperator: (operatorId: string, at: string, entryId: string) => ({
    gsi1pk: `PLATFORM_AUDIT#OPERATOR#${operatorId}`,
    gsi1sk: `AUDIT#${at}#${entryId}`,
  }),
  /** gsi2 attributes of a platform audit entry with a target tenant: that tenant's entries. */
  platformAuditByTenant: (tenantId: string, at: string, entryId: string) => ({
    gsi2pk: `PLATFORM_AUDIT#TENANT#${tenantId}`,
    gsi2sk: `AUDIT#${at}#${entryId}`,
  }),
  /** The platform audit log's partitions: all entries, one operator's (gsi1), one tenant's (gsi2). */
  platformAuditPartition: (filter: { operatorId?: string | undefined; tenantId?: string | undefined }) =>
    filter.operatorId
      ? ({
          index: 'gsi1',
          attribute: 'gsi1pk',
          sort: 'gsi1sk',
          value: `PLATFORM_AUDIT#OPERATOR#${filter.operatorId}`,
        } as const)
      : filter.tenantId
        ? ({
            index: 'gsi2',
            attribute: 'gsi2pk',
            sort: 'gsi2sk',
            value: `PLATFORM_AUDIT#TENANT#${filter.tenantId}`,
          } as const)
        : ({ index: undefined, attribute: 'pk', sort: 'sk', value: 'PLATFORM_AUDIT' } as const),

  /**
   * The operators' search index (gsi2). Terms are stored lower-cased (see `searchTerm`), each after
   * the shard of its first character, so a prefix query reads one partition and writes spread over
   * many. Tenants are found by name, slug and owner email, each carried by its own item.
   */
  tenantSearchEntry: (term: string, tenantId: string) => ({
    gsi2pk: `SEARCH#TENANT#${searchShard(term)}`,
    gsi2sk: `${term}#${tenantId}`,
  }),
  tenantSearch: (prefix: string) => ({
    gsi2pk: `SEARCH#TENANT#${searchShard(prefix)}`,
    gsi2skPrefix: prefix,
  }),
  userSearchEntry: (email: string, userId: string) => ({
    gsi2pk: `SEARCH#USER#${searchShard(email)}`,
    gsi2sk: `${email}#${userId}`,
  }),
  userSearch: (prefix: string) => ({ gsi2pk: `SEARCH#USER#${searchShard(prefix)}`, gsi2skPrefix: prefix }),
  /** A user's platform-wide daily activity markers (`PA_SEEN#D<day>`), newest first: last activity. */
  userActivityDays: (userId: string) => ({ pk: `USER#${userId}`, skPrefix: 'PA_SEEN#D' }),
  /** A user's latest NPS answer (any tenant). */
  npsLastAnswer: (userId: string) => ({ pk: `USER#${userId}`, sk: 'NPS_LAST' }),
  npsAnswer: (answeredAt: string, answerId: string) => ({
    pk: `NPS_ANSWERS#${answeredAt.slice(0, 7)}`,
    sk: `${answeredAt}#${answerId}`,
  }),
  /** The NPS answer counts of one UTC day. */
  npsDay: (day: string) => ({ pk: 'NPS_DAYS', sk: day }),
  npsDays: () => ({ pk: 'NPS_DAYS' }),
  /** A tracked product event of one user, deduplicated by the client's event id. */
  productEvent: (tenantId: string, userId: string, eventId: string) => ({
    pk: tenantPk(tenantId),
    sk: `PEVENT#${userId}#${eventId}`,
  }),
  /**
   * The partition that holds a scope's product-analytics aggregates: a tenant's, or the platform's
   * (one partition: every new (day, name) group and first activity adds a write to it; fine to
   * about 1,000 writes a second, shard the key beyond that).
   */
  productAggregatesPk: (tenantId: string | undefined) => (tenantId ? tenantPk(tenantId) : 'PA_PLATFORM'),
  productEventCount: (tenantId: string | undefined, day: string, name: string) => ({
    pk: keys.productAggregatesPk(tenantId),
    sk: `PA_DAY#${day}#EVENT#${name}`,
  }),
  /** A scope's distinct active users of one day, ISO week or month. */
  productActiveUsers: (tenantId: string | undefined, kind: 'day' | 'week' | 'month', period: string) => ({
    pk: keys.productAggregatesPk(tenantId),
    sk: `PA_${kind.toUpperCase()}#${period}#USERS`,
  }),
  /** The days' counts and active users of a scope, `from` to `to` (`YYYY-MM-DD`) inclusive. */
  productDays: (tenantId: string | undefined, from: string, to: string) => ({
    pk: keys.productAggregatesPk(tenantId),
    skFrom: `PA_DAY#${from}`,
    skTo: `PA_DAY#${to}~`,
  }),
  /** The active users of a scope's weeks (`YYYY-Www`) or months (`YYYY-MM`), from and to inclusive. */
  productPeriods: (tenantId: string | undefined, kind: 'week' | 'month', from: string, to: string) => ({
    pk: keys.productAggregatesPk(tenantId),
    skFrom: `PA_${kind.toUpperCase()}#${from}`,
    skTo: `PA_${kind.toUpperCase()}#${to}~`,
  }),
  /** Marks a user active in a period (`D2026-12-02`, `W2026-W49`, `M2026-12`), in a tenant or platform-wide. */
  productActivityMarker: (tenantId: string | undefined, userId: string, period: string) =>
    tenantId
      ? { pk: tenantPk(tenantId), sk: `PA_SEEN#${period}#${userId}` }
      : { pk: `USER#${userId}`, sk: `PA_SEEN#${period}` },
  /** A user's first activity (their retention cohort), in a tenant or platform-wide. */
  productFirstActivity: (tenantId: string | undefined, userId: string) =>
    tenantId
      ? { pk: tenantPk(tenantId), sk: `PA_FIRST#${userId}` }
      : { pk: `USER#${userId}`, sk: 'PA_FIRST' },
  /** Cohort users (first active in `cohortWeek`) active in `week`. */
  productRetentionCell: (tenantId: string | undefined, cohortWeek: string, week: string) => ({
    pk: keys.productAggregatesPk(tenantId),
    sk: `PA_COHORT#${cohortWeek}#${week}`,
  }),
  /** The retention cells of the cohorts `from` to `to` (ISO weeks) inclusive. */
  productCohorts: (tenantId: string | undefined, from: string, to: string) => ({
    pk: keys.productAggregatesPk(tenantId),
    skFrom: `PA_COHORT#${from}`,
    skTo: `PA_COHORT#${to}~`,
  }),

  // --- admin-billing: credits operators gave a tenant (Stripe customer balance transactions) ---
  /** A credit an operator gave, by its time and Stripe customer balance transaction id. */
  billingCredit: (tenantId: string, createdIso: string, transactionId: string) => ({
    pk: tenantPk(tenantId),
    sk: `CREDIT#${createdIso}#${transactionId}`,
  }),
  billingCreditsPrefix: (tenantId: string) => ({ pk: tenantPk(tenantId), skPrefix: 'CREDIT#' }),
  /** An operator's impersonation session (shared/impersonation/). */
  impersonationSession: (sessionId: string) => ({ pk: `IMPERSONATION#${sessionId}`, sk: 'SESSION' }),
  /** gsi1 attributes a session carries while open: the sparse index of open sessions, by expiry. */
  openImpersonation: (expiresAt: string, sessionId: string) => ({
    gsi1pk: 'IMPERSONATION_OPEN',
    gsi1sk: `${expiresAt}#${sessionId}`,
  }),
  /** The open sessions that expire after `now` (ISO time): gsi1sk > now. */
  openImpersonationsAfter: (now: string) => ({ gsi1pk: 'IMPERSONATION_OPEN', gsi1skAfter: now }),
  /** A tenant's support ticket (the ticket's state; its messages are separate items). */
  supportTicket: (tenantId: string, ticketId: string) => ({
    pk: tenantPk(tenantId),
    sk: `SUPPORT_TICKET#${ticketId}`,
  }),
  supportTicketsPrefix: (tenantId: string) => ({ pk: tenantPk(tenantId), skPrefix: 'SUPPORT_TICKET#' }),
  /**
   * gsi1 attributes of a ticket: every ticket in one index partition, sorted by status, then
   * priority (most urgent first), then age, so a status (and a priority) is a key prefix.
   */
  supportTicketQueue: (status: string, priorityRank: number, createdAt: string, ticketId: string) => ({
    gsi1pk: 'SUPPORT_TICKETS',
    gsi1sk: `${status}#${priorityRank}#${createdAt}#${ticketId}`,
  }),
  /** The operators' ticket queue, narrowed to a status (and a priority rank) when given. */
  supportTicketQueuePrefix: (status?: string, priorityRank?: number) => ({
    gsi1pk: 'SUPPORT_TICKETS',
    gsi1skPrefix:
      status === undefined ? '' : `${status}#${priorityRank === undefined ? '' : `${priorityRank}#`}`,
  }),
  /** Where the admin API finds a ticket's tenant from the ticket id alone. */
  supportTicketLocator: (ticketId: string) => ({ pk: `SUPPORT_TICKET#${ticketId}`, sk: 'LOCATOR' }),
  /** One message (or internal note) of a ticket, by its position (1, 2, …). */
  supportMessage: (tenantId: string, ticketId: string, seq: number) => ({
    pk: tenantPk(tenantId),
    sk: `SUPPORT_MSG#${ticketId}#${String(seq).padStart(6, '0')}`,
  }),
  supportMessagesPrefix: (tenantId: string, ticketId: string) => ({
    pk: tenantPk(tenantId),
    skPrefix: `SUPPORT_MSG#${ticketId}#`,
  }),
  /** One entry of a tenant's communication history (a ticket message, an email, an announcement). */
  communication: (tenantId: string, at: string, id: string) => ({
    pk: tenantPk(tenantId),
    sk: `COMM#${at}#${id}`,
  }),
  communicationsPrefix: (tenantId: string) => ({ pk: tenantPk(tenantId), skPrefix: 'COMM#' }),
  /** An address SES reported as bouncing or complaining: nothing more is sent to it. */
  /** A user's pending magic sign-in link (shared/auth/magic-link): one per user, replaced by a new request. */
  magicLink: (userId: string) => ({ pk: `USER#${userId}`, sk: 'MAGIC_LINK' }),
  /** A tenant the user was a member of and left (or was removed from): erasure walks it too. */
  formerTenant: (userId: string, tenantId: string) => ({
    pk: `USER#${userId}`,
    sk: `FORMER_TENANT#${tenantId}`,
  }),
  formerTenantsPrefix: (userId: string) => ({ pk: `USER#${userId}`, skPrefix: 'FORMER_TENANT#' }),
  emailSuppression: (email: string) => ({ pk: `EMAIL#${email.toLowerCase()}`, sk: 'SUPPRESSION' }),
  /** An operator's announcement, in the one partition that lists them all (newest first by id). */
  announcement: (announcementId: string) => ({ pk: 'ANNOUNCEMENTS', sk: `ANNOUNCEMENT#${announcementId}` }),
  announcementsPrefix: () => ({ pk: 'ANNOUNCEMENTS', skPrefix: 'ANNOUNCEMENT#' }),
  /**
   * gsi1 attributes an announcement carries until it is withdrawn: the live index, by expiry. Users'
   * reads query it from now on (one partition, read by every user's request: a few KB per read, fine
   * to the order of 1,000 reads a second; cache it per container beyond that).
   */
  announcementLive: (expiresAt: string, announcementId: string) => ({
    gsi1pk: 'ANNOUNCEMENTS_LIVE',
    gsi1sk: `${expiresAt}#${announcementId}`,
  }),
  /** The live announcements that expire after `now` (ISO time). */
  announcementsLiveAfter: (now: string) => ({ gsi1pk: 'ANNOUNCEMENTS_LIVE', gsi1skAfter: now }),
  /** A user dismissed an announcement. */
  announcementDismissal: (userId: string, announcementId: string) => ({
    pk: `USER#${userId}`,
    sk: `ANNOUNCEMENT_DISMISSED#${announcementId}`,
  }),
  /** An announcement was shown to someone of this tenant: its communication history records it once. */
  announcementDelivered: (tenantId: string, announcementId: string) => ({
    pk: tenantPk(tenantId),
    sk: `ANNOUNCEMENT_DELIVERED#${announcementId}`,
  }),
  /** A critical announcement's email to one user: claimed before sending, settled after. */
  announcementMailed: (announcementId: string, userId: string) => ({
    pk: `ANNOUNCEMENT_MAIL#${announcementId}`,
    sk: `USER#${userId}`,
  }),
  /** A page of an announcement's mail run is done (its users mailed, the next page queued). */
  announcementMailPageDone: (announcementId: string, page: number) => ({
    pk: `ANNOUNCEMENT_MAIL#${announcementId}`,
    sk: `PAGE#${page}`,
  }),

  // --- erasure (shared/erasure/) ---
  /** An erasure's report (what was deleted or pseudonymised, per step) and its progress. */
  erasureReport: (erasureId: string) => ({ pk: `ERASURE#${erasureId}`, sk: 'REPORT' }),
  /** The personal inputs of a running erasure; its email removed after the last step that reads it, the item deleted when it completes. */
  erasureWork: (erasureId: string) => ({ pk: `ERASURE#${erasureId}`, sk: 'WORK' }),
  /** gsi1 attributes a report carries until it completes or is blocked: the sparse index of work to run. */
  erasurePending: (requestedAt: string, erasureId: string) => ({
    gsi1pk: 'ERASURE_PENDING',
    gsi1sk: `${requestedAt}#${erasureId}`,
  }),
  erasurePendingIndex: () => ({ gsi1pk: 'ERASURE_PENDING' }),
  /** gsi2 attributes of every report: the operators' list, newest first. */
  erasureListEntry: (requestedAt: string, erasureId: string) => ({
    gsi2pk: 'ERASURES',
    gsi2sk: `${requestedAt}#${erasureId}`,
  }),
  erasureList: () => ({ gsi2pk: 'ERASURES' }),
  /** gsi1 attributes the tenant item carries from its soft delete until it is purged. */
  tenantPurgeDue: (deletedAt: string, tenantId: string) => ({
    gsi1pk: 'TENANT_PURGE_DUE',
    gsi1sk: `${deletedAt}#${tenantId}`,
  }),
  /** The soft-deleted tenants deleted before `before` (ISO time): gsi1sk < before. */
  tenantsPurgeDueBefore: (before: string) => ({ gsi1pk: 'TENANT_PURGE_DUE', gsi1skBefore: before }),
  /** One user's raw product events in a tenant. */
  /** A data export job of a user (`scope` user) or a tenant (shared/exports/). */
  exportJob: (scope: 'user' | 'tenant', subjectId: string, jobId: string) => ({
    pk: scope === 'user' ? `USER#${subjectId}` : tenantPk(subjectId),
    sk: `EXPORT#${jobId}`,
  }),
  /** Every item of a user's own partition (profile, NPS last answer, dismissals, activity markers, exports). */
  userPartition: (userId: string) => ({ pk: `USER#${userId}` }),
  /** Every ticket message of a tenant, all tickets (Query pk + begins_with). */
  supportMessagesOfTenant: (tenantId: string) => ({ pk: tenantPk(tenantId), skPrefix: 'SUPPORT_MSG#' }),
  /** A user's raw product events in a tenant (Query pk + begins_with). */
  productEventsOfUser: (tenantId: string, userId: string) => ({
    pk: tenantPk(tenantId),
    skPrefix: `PEVENT#${userId}#`,
  }),
  /** Every item of a partition (a tenant's, a user's). */
  tenantItems: (tenantId: string) => ({ pk: tenantPk(tenantId) }),
  userItems: (userId: string) => ({ pk: `USER#${userId}` }),
  /** The NPS answers of one month (`YYYY-MM`). */
  /** The NPS answers of one month (`YYYY-MM`), every tenant's. */
  npsAnswersOfMonth: (month: string) => ({ pk: `NPS_ANSWERS#${month}` }),

  /** One tenant's audit entries of one UTC day: their digest state (shared/audit/audit-digest.ts). */
  auditDay: (day: string, tenantId: string) => ({ pk: `AUDIT_DAY#${day}`, sk: tenantPk(tenantId) }),
  /** The tenants with entries on `day` (Query pk). */
  auditDayTenants: (day: string) => ({ pk: `AUDIT_DAY#${day}`, skPrefix: 'TENANT#' }),
  /** gsi1 attributes of a tenant-day whose entries are not yet digested. */
  auditDigestDue: (day: string, tenantId: string) => ({
    gsi1pk: 'AUDIT_DIGEST_DUE',
    gsi1sk: `${day}#${tenantId}`,
  }),
  /** The due tenant-days of the days before `day` (Query gsi1, gsi1sk < day). */
  auditDigestDueBefore: (day: string) => ({ gsi1pk: 'AUDIT_DIGEST_DUE', gsi1skBefore: day }),
  /** A tenant's entries of one UTC day, in sort-key order (Query pk, sk between). */
  auditDayRange: (tenantId: string, day: string) => ({
    pk: tenantPk(tenantId),
    skFrom: `AUDIT#${day}T`,
    skTo: `AUDIT#${day}T~`,
  }),

  /** A tenant's SSO identity provider settings and its claimed domains (shared/sso/). */
  ssoConfig: (tenantId: string) => ({ pk: tenantPk(tenantId), sk: 'SSO' }),
  /** The one tenant that claimed an email domain for its SSO (lower-case domain). */
  ssoDomainClaim: (domain: string) => ({ pk: `SSO_DOMAIN#${domain}`, sk: 'CLAIM' }),
} as const;

/** The partition key every item of a tenant lives under; used to bind cursors to their tenant. */
export const tenantPartition = tenantPk;
