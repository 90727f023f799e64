import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { SEMVER_PATTERN } from '#domain';
import { WithReason } from '../shared/reason.js';

export class SetAliasDto extends WithReason {
  @ApiProperty({ example: '1.0.0' })
  @IsString()
  @Matches(SEMVER_PATTERN, { message: 'version must be semver MAJOR.MINOR.PATCH' })
  version!: string;
}
