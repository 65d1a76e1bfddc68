import * as z from '../util/check.js';
import { CostwatchError } from '../errors.js';

/** The Slack secret's JSON (functions/lib/contract.ts `SlackSecret`), validated where it is read. */
export const SlackSecretSchema = z.object({
  botToken: z.string().regex(/^xoxb-/, 'botToken must be a bot token (xoxb-…)'),
  signingSecret: z.string().min(8, 'signingSecret is missing or too short'),
  appToken: z.string().regex(/^xapp-/, 'appToken must be an app-level token (xapp-…)').optional(),
});

/** A Slack secret that cannot be used; names the field, never the value. */
export class SlackSecretError extends CostwatchError {}

/** Validates the secret as fetched from Secrets Manager (already JSON-parsed, or a JSON string). */
export function parseSlackSecret(value: unknown): z.infer<typeof SlackSecretSchema> {
  let raw = value;
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch {
      throw new SlackSecretError('the Slack secret is not JSON: store {"botToken": "xoxb-…", "signingSecret": "…"}');
    }
  }
  const parsed = SlackSecretSchema.safeParse(raw);
  if (!parsed.success) throw new SlackSecretError(`the Slack secret is not usable: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
