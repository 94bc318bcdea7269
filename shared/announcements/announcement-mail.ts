import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import type { BusEvent } from '../events/consumer.ts';
import type { Clock, IdGenerator } from '../ids.ts';
import { recordCommunication } from '../mail/communications.ts';
import type { MailSender, OutgoingEmail } from '../mail/mail-sender.ts';
import { escapeHtml } from '../mail/mail-text.ts';
import { sendOnceMarks } from '../mail/send-once.ts';
import { logger } from '../observability/logger.ts';
import {
  ANNOUNCEMENT_MAIL_REQUESTED,
  type AnnouncementMailDetail,
  announcementMailDetail,
  mailPage,
} from './announcement-events.ts';
import type { AnnouncementRecord, AnnouncementRepository } from './announcements.repository.ts';
import { addressedTenants, statusAt } from './audience.ts';
import { renderMarkdown } from './markdown.ts';
import type { PoolUser, UserPager } from './user-directory.ts';

/**
 * Email for critical announcements, once per addressed user, through the bus:
 *
 * 1. The `announcement-mail-sweep` schedule (every minute) reads the live announcements (the same
 *    small query users' reads make), and for each emailed one whose `publishAt` has come and whose
 *    run has not started puts page 0 of its run on the bus, then marks the run started.
 * 2. The `announcement-mail` consumer mails one page of the user pool per event (Cognito ListUsers,
 *    `pageSize` users): each mailable user the audience addresses gets the email once (a mark per
 *    announcement and user, claimed before sending and settled after), then it puts the next page
 *    on the bus, then marks the page done. A page's work is bounded; a page delivered again after
 *    it was done sends and queues nothing; one redelivered mid-way sends nothing twice.
 *
 * A run stops at the page it is on when the announcement is withdrawn or expires.
 */

/** Puts one entry on the bus (shared/events/put-events.ts `createEventPutter`). */
export interface EventBus {
  put(detail: AnnouncementMailDetail): Promise<void>;
}

/** Marks outlive every redelivery (SQS keeps a message at most 14 days). */
const MARK_TTL_SECONDS = 30 * 24 * 60 * 60;
/** Users of a page handled at once (each: a query, a batch read, a put, an email, an update). */
const CONCURRENCY = 5;

/** 5xx-like: another delivery of the same page is mailing this user right now; retry later. */
export class AnnouncementMailInFlightError extends Error {
  constructor(announcementId: string, userId: string) {
    super(`Announcement ${announcementId} is being mailed to ${userId} by another delivery; retry later.`);
    this.name = 'AnnouncementMailInFlightError';
  }
}

/** The email of a critical announcement: its title as the subject, its body as text and safe HTML. */
export function renderAnnouncementMail(
  announcement: Pick<AnnouncementRecord, 'title' | 'body'>,
  to: string,
  appUrl: string,
): OutgoingEmail {
  const url = appUrl.replace(/\/+$/, '');
  return {
    to: [to],
    subject: `[Plinth] ${announcement.title}`,
    text: `${announcement.body}\n\nOpen Plinth: ${url}\n`,
    html: `${renderMarkdown(announcement.body)}\n<p><a href="${escapeHtml(url)}">Open Plinth</a></p>`,
  };
}

export interface SweepDeps {
  readonly announcements: AnnouncementRepository;
  readonly bus: EventBus;
}

export interface SweepResult {
  /** Mail runs started by this sweep. */
  readonly started: number;
}

/**
 * Starts the mail run of every emailed announcement due at `now`. The page-0 event goes on the bus
 * before the run is marked started, so a crash in between re-sends it on the next sweep (which the
 * per-user marks absorb) rather than losing it.
 */
export async function runAnnouncementMailSweep(deps: SweepDeps, now: Date): Promise<SweepResult> {
  const due = (await deps.announcements.live(now)).filter(
    (a) => a.email && a.emailStatus === 'pending' && statusAt(a, now) === 'active',
  );
  let started = 0;
  for (const announcement of due) {
    await deps.bus.put(mailPage(announcement.announcementId, 0, null, now));
    if (await deps.announcements.markEmailStarted(announcement.announcementId)) started += 1;
  }
  return { started };
}

export interface AnnouncementMailerDeps {
  readonly db: Db;
  readonly announcements: AnnouncementRepository;
  readonly users: UserPager;
  readonly mailer: MailSender;
  readonly bus: EventBus;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  readonly appUrl: string;
  /** Users read per event. @default 50 */
  readonly pageSize?: number;
}

export type PageOutcome = 'ignored' | 'stopped' | 'duplicate' | 'mailed';

export interface PageResult {
  readonly outcome: PageOutcome;
  readonly sent: number;
  /** Whether a next page was put on the bus. */
  readonly more: boolean;
}

async function inBatches<T>(
  items: readonly T[],
  size: number,
  run: (item: T) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}

export function createAnnouncementMailer(deps: AnnouncementMailerDeps) {
  const { db } = deps;
  const marks = sendOnceMarks(db, deps.clock);
  const pageSize = deps.pageSize ?? 50;

  /** The user's send-once mark for this announcement: one email per user, however often delivered. */
  const mark = (announcementId: string, userId: string) =>
    marks(
      keys.announcementMailed(announcementId, userId),
      { type: 'announcement-mail', announcementId, userId },
      () => new AnnouncementMailInFlightError(announcementId, userId),
    );

  /** Mails the user if the audience addresses them and they were not mailed yet; true when sent now. */
  async function mailUser(announcement: AnnouncementRecord, user: PoolUser): Promise<boolean> {
    if (!user.mailable) return false;
    // The memberships also say in which tenants' communication history the email belongs.
    const facts = await deps.announcements.userFacts(user.userId, [], { withMemberships: true });
    const tenants = addressedTenants(announcement.audience, facts.memberships);
    if (announcement.audience !== 'everyone' && tenants.length === 0) return false;
    const sendOnce = mark(announcement.announcementId, user.userId);
    if (!(await sendOnce.claim())) return false;
    const mail = renderAnnouncementMail(announcement, user.email, deps.appUrl);
    const context = { kind: 'announcement', announcementId: announcement.announcementId } as const;
    let outcome: Awaited<ReturnType<MailSender['send']>>;
    try {
      outcome = await deps.mailer.send(mail, { ...context, tenantId: tenants[0] });
    } catch (error) {
      await sendOnce.release().catch(() => undefined);
      throw error;
    }
    await sendOnce.settle();
    // The sender recorded the email in the first tenant's history; the user's other addressed
    // tenants get the same entry. After the settle, so a failed write never mails the user twice.
    for (const tenantId of tenants.slice(1)) {
      await recordCommunication(
        db,
        tenantId,
        {
          kind: 'email',
          direction: 'outbound',
          subject: mail.subject,
          status: outcome.status,
          emailKind: 'announcement',
          to: outcome.sent,
          suppressed: outcome.suppressed,
          announcementId: announcement.announcementId,
        },
        deps,
      ).catch((error: unknown) =>
        logger.error('could not record an announcement email in a tenant history', { tenantId, error }),
      );
    }
    return true;
  }

  return {
    /**
     * Mails one page of users for the event's announcement and queues the next page. Throws (so
     * the message is retried, then dead-lettered) on a detail that breaks its schema, an SES,
     * Cognito or DynamoDB failure, or a user being mailed by another delivery at the same moment.
     */
    async handle(event: BusEvent): Promise<PageResult> {
      if (event['detail-type'] !== ANNOUNCEMENT_MAIL_REQUESTED)
        return { outcome: 'ignored', sent: 0, more: false };
      const detail = announcementMailDetail().parse(event.detail);
      const now = deps.clock();
      const announcement = await deps.announcements.get(detail.announcementId);
      // The sweep judged publishAt when it started the run; from then on only a withdrawal or the
      // expiry stops it (so the two functions' clocks need not agree).
      const status = announcement ? statusAt(announcement, now) : 'withdrawn';
      if (!announcement?.email || status === 'withdrawn' || status === 'expired') {
        return { outcome: 'stopped', sent: 0, more: false };
      }
      const doneKey = keys.announcementMailPageDone(announcement.announcementId, detail.page);
      const { Item: done } = await db.client.send(
        new GetCommand({ TableName: db.tableName, Key: doneKey, ConsistentRead: true }),
      );
      // Done before (a redelivery, or a second chain from a page queued twice): nothing to send, and
      // no second next page, so duplicates die out instead of doubling the rest of the run.
      if (done) return { outcome: 'duplicate', sent: 0, more: false };
      const { users, next } = await deps.users.page(detail.pageToken, pageSize);
      let sent = 0;
      await inBatches(users, CONCURRENCY, async (user) => {
        if (await mailUser(announcement, user)) sent += 1;
      });
      if (next) await deps.bus.put(mailPage(announcement.announcementId, detail.page + 1, next, now));
      const seconds = Math.floor(now.getTime() / 1000);
      await db.client.send(
        new PutCommand({
          TableName: db.tableName,
          Item: {
            ...doneKey,
            type: 'announcement-mail-page',
            page: detail.page,
            ttl: seconds + MARK_TTL_SECONDS,
          },
        }),
      );
      return { outcome: 'mailed', sent, more: next !== null };
    },
  };
}

export type AnnouncementMailer = ReturnType<typeof createAnnouncementMailer>;
