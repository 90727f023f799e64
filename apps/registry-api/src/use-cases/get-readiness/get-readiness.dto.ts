import { ApiPropertyOptional } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { Optional } from '../shared/validators.js';

export class ReadinessQuery {
  @ApiPropertyOptional({ example: 'Production', description: 'Production (default), Staging, or a protected alias name' })
  @Optional()
  @Matches(/^(Production|Staging|[a-z][a-z0-9_-]{0,63})$/, { message: 'target must be Production, Staging or an alias name' })
  target?: string;
}
