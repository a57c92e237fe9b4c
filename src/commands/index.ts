import type { CommandDefinition } from './definition.js';
import { health } from './health.js';

/** Every user-facing command, in the order help lists them. */
export const COMMANDS: readonly CommandDefinition[] = [health];
