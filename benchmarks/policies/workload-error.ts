import { InvalidOptionError } from '@session-policy/core';

/**
 * A workload file, or a command-line option of the workbench, that does not describe a
 * valid simulation (code `ERR_INVALID_OPTION`). The message names the field, as a path
 * such as `actors[1].visits.gap`, and what is expected.
 */
export class WorkloadError extends InvalidOptionError {}
