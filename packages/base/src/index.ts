// Public surface of @meshpunch/base: re-exports only.
export { MeshpunchError } from './core/meshpunch-error.js';
export { CliUsageError } from './core/cli-usage-error.js';
