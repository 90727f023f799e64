import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { ALIAS_PATTERN, MODEL_NAME_PATTERN, SEMVER_PATTERN } from '#domain';

export class ModelParams {
  @ApiProperty({ example: 'churn', pattern: MODEL_NAME_PATTERN.source })
  @Matches(MODEL_NAME_PATTERN, { message: `name must match ${MODEL_NAME_PATTERN.source}` })
  name!: string;
}

export class VersionParams extends ModelParams {
  @ApiProperty({ example: '1.4.0' })
  @Matches(SEMVER_PATTERN, { message: 'version must be semver MAJOR.MINOR.PATCH' })
  version!: string;
}

export class AliasParams extends ModelParams {
  @ApiProperty({ example: 'prod', pattern: ALIAS_PATTERN.source })
  @Matches(ALIAS_PATTERN, { message: `alias must match ${ALIAS_PATTERN.source}` })
  alias!: string;
}
