import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';
import { Optional } from './validators.js';
import { IsInstant } from './instant.js';
import { MODEL_NAME_PATTERN, SEMVER_PATTERN } from '#domain';
import type { AuditFilter } from '#read-models';
import { parseInstant } from '../../application/audit-history.js';

/** Filters shared by GET /v1/audit/events and GET /v1/audit/export. */
export class AuditFilterQuery {
  @ApiPropertyOptional({ example: 'churn' })
  @Optional()
  @Matches(MODEL_NAME_PATTERN, { message: `model must match ${MODEL_NAME_PATTERN.source}` })
  model?: string;

  @ApiPropertyOptional({ example: '1.4.0' })
  @Optional()
  @Matches(SEMVER_PATTERN, { message: 'version must be semver MAJOR.MINOR.PATCH' })
  version?: string;

  @ApiPropertyOptional({ description: 'Subject (sub) of the actor' })
  @Optional()
  @IsString()
  @MaxLength(200)
  actor?: string;

  @ApiPropertyOptional({ example: 'VersionPromoted' })
  @Optional()
  @Matches(/^[A-Za-z][A-Za-z0-9]{0,63}$/, { message: 'type must be an event type name such as VersionPromoted' })
  type?: string;

  @ApiPropertyOptional({ description: 'RFC 3339 instant; events recorded at or after it' })
  @Optional()
  @IsInstant()
  from?: string;

  @ApiPropertyOptional({ description: 'RFC 3339 instant; events recorded at or before it' })
  @Optional()
  @IsInstant()
  to?: string;

  @ApiPropertyOptional()
  @Optional()
  @IsString()
  @MaxLength(128)
  correlationId?: string;
}

export function toAuditFilter(q: AuditFilterQuery): AuditFilter {
  return {
    ...(q.model ? { model: q.model } : {}),
    ...(q.version ? { version: q.version } : {}),
    ...(q.actor ? { actor: q.actor } : {}),
    ...(q.type ? { type: q.type } : {}),
    ...(q.from ? { from: parseInstant(q.from, 'from') } : {}),
    ...(q.to ? { to: parseInstant(q.to, 'to') } : {}),
    ...(q.correlationId ? { correlationId: q.correlationId } : {}),
  };
}

export function isEmptyFilter(f: AuditFilter): boolean {
  return Object.keys(f).length === 0;
}
