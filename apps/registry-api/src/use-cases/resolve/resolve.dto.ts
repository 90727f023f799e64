import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

export class ResolveQuery {
  @ApiProperty({ example: 'models:/churn@prod', description: 'models:/{name}@{alias}, models:/{name}/{version} or models:/{name}/{Stage}' })
  @IsString()
  @MaxLength(300)
  uri!: string;
}
