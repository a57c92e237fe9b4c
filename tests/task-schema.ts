import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Task Scheduler 1.3 schema, which lives in shared/reference beside the repository (as CI
 * lays it out); GOPROXYGUARD_TASK_XSD points elsewhere.
 */
export function taskSchema(): string {
  const xsd =
    process.env.GOPROXYGUARD_TASK_XSD ??
    join(import.meta.dirname, '..', '..', 'shared', 'reference', 'task-scheduler-1.3.xsd');
  if (!existsSync(xsd))
    throw new Error(`the Task Scheduler schema is not at ${xsd}; set GOPROXYGUARD_TASK_XSD`);
  return xsd;
}
