import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { Optional } from '../shared/validators.js';
import { WithReason } from '../shared/reason.js';

export class IssueApprovalLinksDto extends WithReason {
  @ApiProperty({ example: ['bob', 'carol'], description: 'Approver subjects (as in their tokens); one link each' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ArrayUnique()
  @IsString({ each: true })
  @Matches(/^[A-Za-z0-9._@:|+-]{1,128}$/, { each: true, message: 'each approver must be a subject of 1-128 characters [A-Za-z0-9._@:|+-]' })
  approvers!: string[];

  @ApiPropertyOptional({ example: 72, minimum: 1, maximum: 720, description: 'Link lifetime in hours (default APPROVAL_LINK_TTL_HOURS)' })
  @Optional()
  @IsInt()
  @Min(1)
  @Max(720)
  ttlHours?: number;
}
