import { randomBytes } from 'node:crypto';
import type { SNSEvent } from 'aws-lambda';

/**
 * SES bounce and complaint reports shaped as SES publishes them (for `npm run mail:feedback` and
 * the tests) through a configuration set's SNS
 * event destination (https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-examples.html),
 * wrapped in the SNS event Lambda receives.
 */

const sesMessageId = () =>
  `0100019${randomBytes(8).toString('hex')}-${randomBytes(4).toString('hex')}-000000`;
const feedbackId = () => `0100019${randomBytes(8).toString('hex')}-${randomBytes(6).toString('hex')}-000000`;

function mail(destination: readonly string[], tags: Record<string, string[]>) {
  return {
    timestamp: '2026-12-02T10:00:00.000Z',
    source: 'no-reply@plinth.test',
    sourceArn: 'arn:aws:ses:us-east-1:123456789012:identity/plinth.test',
    sendingAccountId: '123456789012',
    messageId: sesMessageId(),
    destination: [...destination],
    headersTruncated: false,
    headers: [{ name: 'Subject', value: 'Join Acme on Plinth' }],
    commonHeaders: { from: ['no-reply@plinth.test'], to: [...destination], subject: 'Join Acme on Plinth' },
    tags: {
      'ses:configuration-set': ['plinth-dev-mail'],
      'ses:source-ip': ['192.0.2.0'],
      'ses:from-domain': ['plinth.test'],
      'ses:caller-identity': ['plinth-dev-invitations'],
      ...tags,
    },
  };
}

export function bounceReport(input: {
  readonly to: string;
  readonly bounceType?: 'Permanent' | 'Transient' | 'Undetermined';
  readonly subType?: string;
  readonly tags?: Record<string, string[]>;
  readonly feedbackId?: string;
  /** `notificationType` (identity notifications) instead of `eventType` (event publishing). */
  readonly identityNotification?: boolean;
}) {
  return {
    [input.identityNotification ? 'notificationType' : 'eventType']: 'Bounce',
    bounce: {
      feedbackId: input.feedbackId ?? feedbackId(),
      bounceType: input.bounceType ?? 'Permanent',
      bounceSubType: input.subType ?? 'General',
      bouncedRecipients: [
        {
          emailAddress: input.to,
          action: 'failed',
          status: '5.1.1',
          diagnosticCode: 'smtp; 550 5.1.1 user unknown',
        },
      ],
      timestamp: '2026-12-02T10:00:05.000Z',
      reportingMTA: 'dsn; a1-2.smtp-out.amazonses.com',
    },
    mail: mail([input.to], input.tags ?? {}),
  };
}

export function complaintReport(input: {
  readonly to: string;
  readonly feedbackType?: string;
  readonly tags?: Record<string, string[]>;
}) {
  return {
    eventType: 'Complaint',
    complaint: {
      complainedRecipients: [{ emailAddress: input.to }],
      timestamp: '2026-12-02T11:00:00.000Z',
      feedbackId: feedbackId(),
      userAgent: 'Mozilla/5.0',
      ...(input.feedbackType ? { complaintFeedbackType: input.feedbackType } : {}),
      arrivalDate: '2026-12-02T10:59:00.000Z',
    },
    mail: mail([input.to], input.tags ?? {}),
  };
}

/** The SNS event Lambda hands the feedback consumer: one record per report. */
export function snsEvent(...reports: readonly unknown[]): SNSEvent {
  return {
    Records: reports.map((report) => ({
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      EventSubscriptionArn: 'arn:aws:sns:us-east-1:123456789012:plinth-dev-mail-feedback:2bcfbf39',
      Sns: {
        Type: 'Notification',
        MessageId: randomBytes(16).toString('hex'),
        TopicArn: 'arn:aws:sns:us-east-1:123456789012:plinth-dev-mail-feedback',
        Subject: null as unknown as string,
        Message: typeof report === 'string' ? report : JSON.stringify(report),
        Timestamp: '2026-12-02T10:00:06.000Z',
        SignatureVersion: '1',
        Signature: 'EXAMPLE',
        SigningCertUrl:
          'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem',
        UnsubscribeUrl: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe',
        MessageAttributes: {},
      },
    })),
  };
}
