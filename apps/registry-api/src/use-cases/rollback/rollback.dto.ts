import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';
import { SEMVER_PATTERN } from '#domain';

export class RollbackDto {
  @ApiProperty({ example: '1.0.0', description: 'A version that was in Production before' })
  @IsString()
  @Matches(SEMVER_PATTERN, { message: 'toVersion must be semver MAJOR.MINOR.PATCH' })
  toVersion!: string;

  @ApiProperty({ description: 'Why; required for a rollback', example: 'p95 latency regression in 1.1.0' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(2000)
  reason!: string;
}
