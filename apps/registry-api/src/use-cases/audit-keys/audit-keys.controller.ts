import { Controller, Get, Inject, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBody2xx } from '../../http/openapi.js';
import { RequireScopes } from '#auth';
import { Scopes } from '#domain';
import type { AuditKey } from '#audit';
import { AuditReadLog } from '../../http/audit-read-log.js';
import { AUDIT_KEY } from '../../infrastructure/tokens.js';

@ApiTags('audit')
@ApiBearerAuth()
@UseInterceptors(AuditReadLog)
@Controller('v1/audit/keys')
export class AuditKeysController {
  constructor(@Inject(AUDIT_KEY) private readonly key: AuditKey) {}

  @Get()
  @RequireScopes(Scopes.audit)
  @ApiBody2xx('Jwks')
  @ApiOperation({ summary: 'The audit checkpoint signing key(s) as a JWKS (Ed25519, by kid), for offline verification' })
  keys() {
    return { keys: [this.key.publicJwk] };
  }
}
