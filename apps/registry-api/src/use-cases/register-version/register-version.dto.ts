import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsObject, IsString, Matches, MaxLength, Min, ValidateNested } from 'class-validator';
import { ARTIFACT_FORMATS, DIGEST_PATTERN, GIT_SHA_PATTERN, SEMVER_PATTERN, type ArtifactFormat } from '#domain';
import { WithReason } from '../shared/reason.js';
import { IsJsonStructure, IsNumberRecord, IsScalarRecord, IsStringRecord, Optional } from '../shared/validators.js';

export class ArtifactDto {
  @ApiProperty({ example: 's3://models/churn/1.0.0/model.onnx' })
  @IsString()
  @MaxLength(2048)
  uri!: string;

  @ApiProperty({ example: `sha256:${'ab'.repeat(32)}`, pattern: DIGEST_PATTERN.source })
  @IsString()
  @Matches(DIGEST_PATTERN, { message: 'digest must be "sha256:" followed by 64 lowercase hex characters' })
  digest!: string;

  @ApiPropertyOptional({ example: 1048576 })
  @Optional()
  @IsInt()
  @Min(0)
  sizeBytes?: number;

  @ApiProperty({ enum: ARTIFACT_FORMATS })
  @IsIn(ARTIFACT_FORMATS as unknown as string[])
  format!: ArtifactFormat;
}

export class SignatureDto {
  @ApiProperty({ description: 'Input schema (free-form JSON)', example: [{ name: 'tenure', type: 'double' }] })
  @IsJsonStructure()
  inputs!: unknown;

  @ApiProperty({ description: 'Output schema (free-form JSON)', example: [{ name: 'churn_probability', type: 'double' }] })
  @IsJsonStructure()
  outputs!: unknown;
}

/** What the model-ledger CLI found in the artifact's bytes (see libs/artifact-inspection). */
export class InspectionDto {
  @ApiProperty({ enum: ARTIFACT_FORMATS, description: 'format detected from the bytes; must equal artifact.format' })
  @IsIn(ARTIFACT_FORMATS as unknown as string[])
  format!: ArtifactFormat;

  @ApiProperty({ description: 'structure checks passed (headers, offsets)' })
  @IsBoolean()
  valid!: boolean;

  @ApiProperty({ description: 'false when the artifact runs code on load; such a version never reaches Production or a protected alias' })
  @IsBoolean()
  safe!: boolean;

  @ApiPropertyOptional({ type: [String], example: ['posix.system'], description: 'imported globals outside the allow-list' })
  @Optional()
  @IsArray()
  @ArrayMaxSize(200)
  @IsString({ each: true })
  @MaxLength(512, { each: true })
  unsafeGlobals?: string[];

  @ApiPropertyOptional({ type: [String] })
  @Optional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(1000, { each: true })
  errors?: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { irVersion: 9, opsets: 'ai.onnx:17' } })
  @Optional()
  @IsScalarRecord()
  facts?: Record<string, string | number | boolean>;

  @ApiProperty({ example: 'model-ledger-inspect/1' })
  @IsString()
  @MaxLength(128)
  inspector!: string;
}

export class ImageDto {
  @ApiProperty({ example: 'registry.example.com/serving/churn:1.0.0' })
  @IsString()
  @MaxLength(512)
  ref!: string;

  @ApiPropertyOptional({ example: `sha256:${'cd'.repeat(32)}` })
  @Optional()
  @Matches(DIGEST_PATTERN, { message: 'image digest must be "sha256:" followed by 64 lowercase hex characters' })
  digest?: string;
}

export class LineageDto {
  @ApiPropertyOptional({ example: 'run-abc123' })
  @Optional()
  @IsString()
  @MaxLength(256)
  runId?: string;

  @ApiPropertyOptional({ example: '7f3a9c1' + '0'.repeat(33), pattern: GIT_SHA_PATTERN.source })
  @Optional()
  @Matches(GIT_SHA_PATTERN, { message: 'gitCommit must be a full 40-character lowercase hex SHA-1' })
  gitCommit?: string;

  @ApiPropertyOptional({ example: `sha256:${'e8'.repeat(32)}` })
  @Optional()
  @IsString()
  @MaxLength(256)
  datasetHash?: string;

  @ApiPropertyOptional({ type: ImageDto })
  @Optional()
  @IsObject()
  @ValidateNested()
  @Type(() => ImageDto)
  image?: ImageDto;
}

export class RegisterVersionDto extends WithReason {
  @ApiPropertyOptional({ example: '1.0.0', description: 'Semver MAJOR.MINOR.PATCH; omitted: the server assigns the next version from the semver rules' })
  @Optional()
  @IsString()
  @Matches(SEMVER_PATTERN, { message: 'version must be semver MAJOR.MINOR.PATCH, e.g. 1.4.0' })
  version?: string;

  @ApiPropertyOptional({ enum: ['fix', 'retrain'], description: 'fix: a new artifact with the same signature may be a PATCH; default retrain (MINOR)' })
  @Optional()
  @IsIn(['fix', 'retrain'])
  changeKind?: 'fix' | 'retrain';

  @ApiPropertyOptional({ maxLength: 32000, description: 'Model card (markdown or text), shown escaped on the approver page' })
  @Optional()
  @IsString()
  @MaxLength(32000)
  modelCard?: string;

  @ApiPropertyOptional({ example: 'https://wiki.example.com/models/churn/card', maxLength: 2048 })
  @Optional()
  @IsString()
  @MaxLength(2048)
  modelCardUri?: string;

  @ApiProperty({ type: ArtifactDto })
  @IsObject({ message: 'artifact must be an object with uri, digest and format' })
  @ValidateNested()
  @Type(() => ArtifactDto)
  artifact!: ArtifactDto;

  @ApiPropertyOptional({ type: SignatureDto })
  @Optional()
  @IsObject()
  @ValidateNested()
  @Type(() => SignatureDto)
  signature?: SignatureDto;

  @ApiPropertyOptional({ type: InspectionDto, description: 'recorded on the registration event; absent: never inspected' })
  @Optional()
  @IsObject()
  @ValidateNested()
  @Type(() => InspectionDto)
  inspection?: InspectionDto;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'number' }, example: { auc: 0.91 } })
  @Optional()
  @IsNumberRecord()
  metrics?: Record<string, number>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { max_depth: 6 } })
  @Optional()
  @IsScalarRecord()
  params?: Record<string, string | number | boolean>;

  @ApiPropertyOptional({ type: LineageDto })
  @Optional()
  @IsObject()
  @ValidateNested()
  @Type(() => LineageDto)
  lineage?: LineageDto;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  @Optional()
  @IsStringRecord()
  tags?: Record<string, string>;

  @ApiPropertyOptional({ maxLength: 4000 })
  @Optional()
  @IsString()
  @MaxLength(4000)
  description?: string;

  @ApiPropertyOptional({ description: 'Register even if another version has the same artifact digest (recorded as duplicateOf)' })
  @Optional()
  @IsBoolean()
  allowDuplicateArtifact?: boolean;
}
