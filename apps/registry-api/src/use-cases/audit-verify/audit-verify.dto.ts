import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, Min } from 'class-validator';
import { Optional } from '../shared/validators.js';

const int = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));

export class AuditVerifyQuery {
  @ApiPropertyOptional({ description: 'First position to verify (inclusive, default 1); the stored hash before it is the trusted anchor' })
  @Optional()
  @Transform(int)
  @IsInt()
  @Min(1)
  from?: number;

  @ApiPropertyOptional({ description: 'Last position to verify (inclusive, default the head)' })
  @Optional()
  @Transform(int)
  @IsInt()
  @Min(1)
  to?: number;
}
