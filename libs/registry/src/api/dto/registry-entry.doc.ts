import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** OpenAPI description of a configuration entry as answered (requests are documented from RegistryEntryInput, which validates them). */
export class RegistryEntryDoc {
  @ApiProperty({ example: 'Primary Registry' }) name: string;
  @ApiProperty({ example: 'https://registry-primary.your-campus.local/x-nmos/query/v1.3', description: 'Query API, with or without /x-nmos/query/vX.Y' })
  query_url: string;
  @ApiProperty({ default: true }) enabled: boolean;
  @ApiPropertyOptional({ type: [String], description: 'More Query API URLs of the same logical registry, tried in order when the active one fails' })
  endpoints?: string[];
  @ApiPropertyOptional({ default: 0 }) priority?: number;
  @ApiPropertyOptional({ default: 5000, minimum: 100, maximum: 120000 }) timeout_ms?: number;
  @ApiPropertyOptional({
    nullable: true,
    description: "{type: 'bearer', token}. Answers show {type} only; sending {type} without token keeps the stored token.",
    example: { type: 'bearer', token: '…' },
  })
  auth?: { type: 'bearer'; token?: string } | null;
}

export class RegistryConfigAuditDoc {
  @ApiProperty() id: string;
  @ApiProperty() at: string;
  @ApiProperty({ enum: ['user', 'api_token'] }) actor_kind: string;
  @ApiProperty() actor_id: string;
  @ApiProperty() actor_name: string;
  @ApiProperty({ nullable: true, type: String }) request_id: string | null;
  @ApiProperty({ enum: ['created', 'updated', 'deleted'] }) action: string;
  @ApiProperty() name: string;
  @ApiProperty({ nullable: true, type: RegistryEntryDoc }) before: RegistryEntryDoc | null;
  @ApiProperty({ nullable: true, type: RegistryEntryDoc }) after: RegistryEntryDoc | null;
}
