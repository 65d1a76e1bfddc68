import * as z from '../util/check.js';
import { eventTime, text } from './input.js';

/** The EventBridge event envelope; `detail` is validated by each source's parser. */
export const eventBridgeEnvelope = z.object({
  version: z.string().max(16).optional(),
  id: text(256),
  'detail-type': text(256),
  source: text(256),
  account: text(64),
  // EventBridge sends ISO times; SageMaker's documented example sends epoch milliseconds as a string.
  time: eventTime,
  region: text(64),
  resources: z.array(z.string().max(2048)).max(100).optional(),
  detail: z.record(z.string(), z.unknown(), { error: (iss) => (iss.input === undefined ? 'is missing' : 'must be an object') }),
});

/** A validated EventBridge envelope. */
export type EventBridgeEnvelope = z.output<typeof eventBridgeEnvelope>;
