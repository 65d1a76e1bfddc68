import type { GcpKind } from '../context.js';
import { customJobKind } from './custom-job.js';
import { vertexEndpointKind } from './vertex-endpoint.js';
import { workbenchInstanceKind } from './workbench-instance.js';

/** Every Google Cloud resource kind, explicitly listed: adding a kind is one file and one line here. */
export const GCP_KINDS: readonly GcpKind[] = [vertexEndpointKind, workbenchInstanceKind, customJobKind];
