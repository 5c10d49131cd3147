// The read-only web dashboard served by `osfp ui`.
export { startDashboard, DEFAULT_PORT, type Dashboard, type DashboardOptions } from './server.ts';
export { checkBinding, DashboardInputError, isLoopback, MIN_TOKEN_LENGTH } from './access.ts';
export type * from './api-types.ts';
