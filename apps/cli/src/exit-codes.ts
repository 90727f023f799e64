/** The CLI's exit codes (docs/CLI.md). Decided by the problem's `code` first, the HTTP status second. */
export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  /** Not ready, or refused for unmet requirements (readiness, PROMOTION_REQUIREMENTS_UNMET, an unsafe artifact). */
  notReady: 3,
  auth: 4,
  conflict: 5,
  invalid: 6,
  notFound: 7,
} as const;

const BY_CODE: Record<string, number> = {
  PROMOTION_REQUIREMENTS_UNMET: EXIT.notReady,
  SEMVER_RULE_VIOLATED: EXIT.invalid,
  VALIDATION_FAILED: EXIT.invalid,
};

export function exitCodeFor(status: number, code?: string): number {
  if (code && BY_CODE[code] !== undefined) return BY_CODE[code];
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 409) return EXIT.conflict;
  if (status === 404) return EXIT.notFound;
  if (status === 400 || status === 413 || status === 415 || status === 422) return EXIT.invalid;
  return EXIT.unexpected;
}

/** An error that ends the command with a given exit code; `body` is printed with --json. */
export class CliError extends Error {
  readonly exitCode: number;
  readonly body?: unknown;
  constructor(message: string, exitCode: number, body?: unknown) {
    super(message);
    this.exitCode = exitCode;
    this.body = body;
  }
}
