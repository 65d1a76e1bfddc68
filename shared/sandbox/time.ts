/**
 * World-file times: an ISO 8601 instant with a zone (`2025-06-15T12:00:00Z`), `now`, or an
 * offset from the world's `now` such as `-30d`, `-2h`, `-1d6h`, `+15m` (units w d h m s).
 * Offsets are resolved once, against the `now` written in the world file, so advancing the
 * sandbox clock later does not move resources created "2 h ago".
 */

const RELATIVE = /^([+-])(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const UNIT_MS = [7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1_000] as const;

/** One minute, the resolution of every generated metric. */
export const MINUTE_MS = 60_000;

/** Why a time string is not valid, or undefined when it is. */
export function timeProblem(text: string): string | undefined {
  if (text === 'now') return undefined;
  const rel = RELATIVE.exec(text);
  if (rel) return rel.slice(2).some((g) => g !== undefined) ? undefined : `"${text}" has no amount`;
  if (ISO_WITH_ZONE.test(text) && !Number.isNaN(Date.parse(text))) return undefined;
  return `"${text}" is not a time: use ISO 8601 with a zone (2025-06-15T12:00:00Z), "now", or an offset from now like -30d, -2h, -1d6h, +15m`;
}

/** Milliseconds since the epoch for a valid time string, offsets taken from `nowMs`. */
export function resolveTime(text: string, nowMs: number): number {
  if (text === 'now') return nowMs;
  const rel = RELATIVE.exec(text);
  if (rel) {
    let ms = 0;
    rel.slice(2).forEach((g, i) => {
      if (g !== undefined) ms += Number(g) * (UNIT_MS[i] ?? 0);
    });
    return rel[1] === '-' ? nowMs - ms : nowMs + ms;
  }
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw new RangeError(timeProblem(text) ?? `invalid time "${text}"`);
  return at;
}

/** Rounds down to the start of the minute. */
export function floorMinute(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}
