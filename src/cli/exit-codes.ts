/**
 * Exit codes of `hearth` that scripts can rely on (README "CLI"):
 *
 *   0  done
 *   1  hearth answered with an error (unknown function, bad parameter, ...)
 *   2  usage: an unknown command or option, a bad argument
 *   3  hearth could not be reached at the endpoint
 *   4  the work ran and failed: the function returned an error, a provisioned config FAILED
 *   5  `--wait` gave up before the work finished
 */
export const EXIT = {
  ok: 0,
  apiError: 1,
  usage: 2,
  unreachable: 3,
  failed: 4,
  timedOut: 5,
} as const;

/** An outcome a command reports with a one-line message and an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
