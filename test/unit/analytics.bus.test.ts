import { describe, expect, it } from 'vitest';
import { mrrEventTypes } from '#shared/analytics/movements.consumer.ts';
import { busDefinition } from '#shared/events/bus.ts';
import { subscriptionEvents } from '#shared/events/subscription-events.ts';

describe('the analytics-movements rule', () => {
  it('routes to the movements consumer exactly the event types it records', () => {
    const rule = busDefinition.rules.find((candidate) => candidate.consumer === 'analytics-movements');

    expect([...(rule?.eventPattern['detail-type'] ?? [])].sort()).toEqual([...mrrEventTypes].sort());
  });

  it('leaves out only subscription lifecycle events that never move MRR', () => {
    const lifecycle = Object.keys(subscriptionEvents).filter((type) => type.startsWith('Subscription '));

    expect(lifecycle.filter((type) => !(mrrEventTypes as readonly string[]).includes(type))).toEqual([
      'Subscription Restricted v1',
    ]);
  });
});
