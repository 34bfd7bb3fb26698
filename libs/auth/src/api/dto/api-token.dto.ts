import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ApiTokenRecord } from '../../domain/api-token-record.js';

export class ApiTokenResponse {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty({ description: 'The first characters of the token, to recognise it' }) prefix: string;
  @ApiProperty({ enum: ['automation'] }) role: string;
  @ApiProperty({ nullable: true, type: String }) created_by: string | null;
  @ApiProperty() created_at: string;
  @ApiProperty({ nullable: true, type: String }) last_used_at: string | null;
  @ApiProperty({ nullable: true, type: String }) revoked_at: string | null;

  static from(token: ApiTokenRecord): ApiTokenResponse {
    return {
      id: token.id,
      name: token.name,
      prefix: token.prefix,
      role: token.role,
      created_by: token.created_by,
      created_at: token.created_at.toISOString(),
      last_used_at: token.last_used_at?.toISOString() ?? null,
      revoked_at: token.revoked_at?.toISOString() ?? null,
    };
  }
}

export class CreatedApiTokenResponse extends ApiTokenResponse {
  @ApiPropertyOptional({ description: 'The token itself: shown once, store it now' }) token: string;
}
