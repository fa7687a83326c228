/** What `klaxon start --role` runs: everything, the HTTP side only, or a worker only. */
export const ROLES = ['all', 'http', 'worker'] as const;
export type Role = (typeof ROLES)[number];
