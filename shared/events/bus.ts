/**
 * The custom EventBridge bus and its rules, declared once as data. The CDK events stack and the
 * local runner both build from this. Later features add their rules here.
 */
export interface RuleDefinition {
  /** Stable logical name, also the local SQS queue name suffix. */
  readonly name: string;
  readonly description: string;
  /** An EventBridge event pattern. */
  readonly eventPattern: { readonly source?: readonly string[]; readonly 'detail-type'?: readonly string[] };
}

export const EVENT_SOURCE = 'plinth';

export const busDefinition = {
  /** Suffixed with the stage: `plinth-dev`, `plinth-prod`, `plinth-local`. */
  namePrefix: 'plinth',
  rules: [] as readonly RuleDefinition[],
} as const;

export function busNameFor(stage: string): string {
  return `${busDefinition.namePrefix}-${stage}`;
}
