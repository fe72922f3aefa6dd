// The machine model: one import for everything a caller needs.
export * from './choice.js';
export * from './limits.js';
export * from './names.js';
export * from './mac.js';
export * from './system.js';
export * from './firmware.js';
export * from './disks.js';
export * from './nics.js';
export * from './display.js';
export * from './serial.js';
export * from './features.js';
export * from './boot.js';
export * from './recovery.js';
export * from './osCatalogue.js';
export * from './migrations.js';
export * from './config.js';
export * from './patch.js';
export type { Result } from '../base/result.js';
