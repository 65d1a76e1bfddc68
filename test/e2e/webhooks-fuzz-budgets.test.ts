import { fuzzSources } from './webhooks-fuzz.js';

// The seeded numeric-extremes fuzz of webhooks-fuzz.ts, split across files so the sources run in parallel.
fuzzSources([0, 3]);
