import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';

export class ResolveQuery {
  @ApiProperty({ example: 'models:/churn@prod', description: 'models:/{name}@{alias}, models:/{name}@{range} (^2.3, ~2.3, >=2.3 <3), models:/{name}/{version} or models:/{name}/{Stage}' })
  @IsString()
  @MaxLength(300)
  uri!: string;

  @ApiPropertyOptional({ enum: ['Production', 'any'], description: 'For a range: Production (default) or any non-archived version' })
  @IsOptional()
  @IsIn(['Production', 'any'])
  stage?: 'Production' | 'any';
}
