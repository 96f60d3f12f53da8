/**
 * @module cli/errors
 * The CLI's errors, in a module with no dependencies so cli/main can tell them apart without loading
 * the SigV4 or MQTT libraries. cli/main prints each as one line `topicd: ...`.
 */

/** An error meant for the user: printed as `topicd: <message>`, exit code `exitCode`. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** A control-plane answer that was not 2xx: `type` is the `x-amzn-ErrorType` header's name. */
export class ControlError extends Error {
  readonly type: string;
  readonly status: number;
  constructor(type: string, message: string, status: number) {
    super(message);
    this.name = type;
    this.type = type;
    this.status = status;
  }
}

/** The control plane could not be reached at all (refused, reset, DNS). */
export class ControlUnreachableError extends Error {
  readonly url: string;
  constructor(url: string, cause: unknown) {
    super(`cannot reach the control plane at ${url}: ${describeNetworkError(cause)}`, { cause });
    this.url = url;
  }
}

function describeNetworkError(err: unknown): string {
  // undici wraps the socket error as `TypeError: fetch failed` with the real reason in `cause`.
  const cause = (err as { cause?: unknown }).cause;
  const inner = cause instanceof Error ? cause : err instanceof Error ? err : undefined;
  const code = (inner as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  return inner?.message ?? String(err);
}
