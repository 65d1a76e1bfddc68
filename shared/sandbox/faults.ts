import { seededRng, type Rng } from './rng.js';
import { defineFault, type Fault, type FaultInput } from './world.js';

/** What the injector decided for one call: added latency, and perhaps an error to answer with. */
export interface FaultDecision {
  readonly latencyMs: number;
  readonly error?: { readonly kind: 'throttle' | 'server-error' | 'access-denied'; readonly status?: 500 | 503 };
}

/** Where a call lands, for matching faults. */
export interface CallSite {
  readonly service: string;
  readonly operation: string;
  /** AWS account id, or Google Cloud project id. */
  readonly accountId: string;
  readonly region: string;
}

/**
 * Applies faults at their rate with a seeded RNG, so a run with the same world and the same
 * sequence of calls fails in the same places. A fault with `times` stops after firing that often.
 */
export class FaultInjector {
  private readonly rng: Rng;
  private active: { fault: Fault; remaining: number }[] = [];
  private readonly counts = new Map<string, number>();

  constructor(faults: readonly Fault[], seed: number) {
    this.rng = seededRng(seed);
    for (const f of faults) this.active.push({ fault: f, remaining: f.times ?? Infinity });
  }

  /** Adds a fault (validated like a world-file fault). */
  add(input: FaultInput): void {
    const fault = defineFault(input);
    this.active.push({ fault, remaining: fault.times ?? Infinity });
  }

  /** Removes every fault, those from the world file included. */
  clear(): void {
    this.active = [];
  }

  /** Decides the fate of one call and counts what fired. */
  decide(call: CallSite): FaultDecision {
    let latencyMs = 0;
    let error: FaultDecision['error'];
    for (const slot of this.active) {
      const f = slot.fault;
      if (slot.remaining <= 0 || !matches(f, call)) continue;
      if (f.kind !== 'latency' && error) continue;
      if (f.rate < 1 && this.rng.next() >= f.rate) continue;
      slot.remaining--;
      const key = `${call.service}.${call.operation}:${f.kind}`;
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
      if (f.kind === 'latency') latencyMs += f.latencyMs ?? 0;
      else error = { kind: f.kind, ...(f.status ? { status: f.status } : {}) };
    }
    return error ? { latencyMs, error } : { latencyMs };
  }

  /** Faults fired so far, keyed `service.Operation:kind`. */
  injected(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  /** Forgets the counts (not the faults). */
  resetCounts(): void {
    this.counts.clear();
  }
}

function matches(f: Fault, call: CallSite): boolean {
  return (
    (f.service === '*' || f.service === call.service) &&
    (f.operation === '*' || f.operation === call.operation) &&
    (f.account === undefined || f.account === call.accountId) &&
    (f.project === undefined || f.project === call.accountId) &&
    (f.region === undefined || f.region === call.region)
  );
}
