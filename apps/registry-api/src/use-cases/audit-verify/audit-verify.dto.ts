import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Min } from 'class-validator';

const int = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));

export class AuditVerifyQuery {
  @ApiPropertyOptional({ description: 'First position to verify (inclusive, default 1); the stored hash before it is the trusted anchor' })
  @IsOptional()
  @Transform(int)
  @IsInt()
  @Min(1)
  from?: number;

  @ApiPropertyOptional({ description: 'Last position to verify (inclusive, default the head)' })
  @IsOptional()
  @Transform(int)
  @IsInt()
  @Min(1)
  to?: number;
}
