import { apply } from './apply.js';
import { config } from './config.js';
import type { CommandDefinition } from './definition.js';
import { demo } from './demo.js';
import { doctor } from './doctor.js';
import { health } from './health.js';
import { plan } from './plan.js';
import { restore } from './restore.js';
import { run } from './run.js';
import { serve, serveStatus, serveStop } from './serve.js';
import { status } from './status.js';
import { taskRegister, taskStatus, taskUnregister, taskXmlCommand } from './task.js';
import { verify } from './verify.js';

/** Every user-facing command, in the order help lists them. */
export const COMMANDS: readonly CommandDefinition[] = [
  health,
  plan,
  apply,
  status,
  config,
  restore,
  verify,
  doctor,
  run,
  taskXmlCommand,
  taskRegister,
  taskUnregister,
  taskStatus,
  serve,
  serveStatus,
  serveStop,
  demo,
];
