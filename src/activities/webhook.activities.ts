import { attemptDelivery, type AttemptDeps } from '../services/webhooks/attempts';
import type { AttemptInput, AttemptOutcome } from '../workflows/webhook.workflow';

export interface WebhookActivities {
  /** One delivery attempt: sends, records (once per attempt number), and says whether to retry. */
  attemptDelivery(input: AttemptInput): Promise<AttemptOutcome>;
}

export function createWebhookActivities(deps: AttemptDeps): WebhookActivities {
  return { attemptDelivery: (input) => attemptDelivery(deps, input) };
}
