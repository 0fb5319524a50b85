import { createActivities, type Activities } from '../../src/activities';
import { createLogger } from '../../src/logger';
import { eventServiceFromConfig } from '../../src/services/events.service';
import type { Harness } from './harness';

/**
 * The worker's activities on the harness's real database and Temporal server, to be called directly (with
 * `MockActivityEnvironment`, as Temporal would on each attempt), with the real event dispatcher.
 */
export function activitiesOf(h: Harness): Activities {
  const logger = createLogger('silent', 'test');
  return createActivities({ events: eventServiceFromConfig(h.config, h.client, logger), logger });
}
