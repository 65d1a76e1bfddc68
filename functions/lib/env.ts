import { EnvironmentError } from '../../shared/errors.js';

/** Reads the named variables, failing fast with the names of every missing one. */
export function loadEnv<K extends string>(names: readonly K[], env: NodeJS.ProcessEnv = process.env): Record<K, string> {
  const missing = names.filter((n) => !env[n]);
  if (missing.length > 0) throw new EnvironmentError(`missing environment variable${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
  return Object.fromEntries(names.map((n) => [n, env[n] as string])) as Record<K, string>;
}
