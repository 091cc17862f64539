/** The gateway's modules take the shared logging surface (shared/logger.ts). */
export * from '../shared/logger.js';
