/** The sandbox cloud: a local server speaking the cloud APIs costwatch calls, seeded from a world file. */
export { startSandbox, type Sandbox, type SandboxOptions, type SandboxOperation, type SandboxState, type CallCounts } from './server.js';
export { sandboxAwsCredentials } from './aws/protocol.js';
export {
  defineFault,
  defineWorld,
  loadWorld,
  parseWorld,
  SAMPLE_WORLD_PATH,
  worldScopes,
  worldSchema,
  type EndpointInput,
  type Fault,
  type FaultInput,
  type World,
  type WorldInput,
} from './world.js';
export { generateWorld, GENERATED_KINDS, type GeneratedKind, type GenerateWorldOptions } from './generate-world.js';
export { sandboxProviderEndpoints } from './endpoints.js';
