/**
 * Domain errors carry a stable machine-readable `code` and a `kind`; the HTTP layer maps the kind
 * to a status in one place, so the domain never knows about HTTP.
 */
export type ErrorKind =
  | 'validation' // the request is malformed for the domain (422)
  | 'not_found' // the addressed thing does not exist (404)
  | 'conflict' // the current state forbids it, or a concurrent write won (409)
  | 'precondition' // requirements (approvals, gates) are not met yet (422)
  | 'forbidden' // the actor lacks the right (403)
  | 'unauthorized'; // no valid identity (401)

export interface ErrorDetail {
  field?: string;
  rule: string;
  message: string;
  [key: string]: unknown;
}

export class DomainError extends Error {
  constructor(
    readonly code: string,
    readonly kind: ErrorKind,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (code: string, message: string, extra: Record<string, unknown> = {}) =>
  new DomainError(code, 'not_found', message, [], extra);
export const conflict = (code: string, message: string, extra: Record<string, unknown> = {}) =>
  new DomainError(code, 'conflict', message, [], extra);
export const invalid = (code: string, message: string, details: ErrorDetail[] = []) =>
  new DomainError(code, 'validation', message, details);
export const forbidden = (code: string, message: string, extra: Record<string, unknown> = {}) =>
  new DomainError(code, 'forbidden', message, [], extra);
