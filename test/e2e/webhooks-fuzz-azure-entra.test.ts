import { fuzzSources } from './webhooks-fuzz.js';

// The seeded numeric-extremes fuzz of webhooks-fuzz.ts: the Azure secure webhook (Entra ID token verified before every case).
fuzzSources([5]);
