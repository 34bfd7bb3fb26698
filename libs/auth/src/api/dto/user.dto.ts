import { ApiProperty } from '@nestjs/swagger';
import { USER_ROLES } from '../../domain/role.js';
import type { UserRecord } from '../../domain/user-record.js';

export class UserResponse {
  @ApiProperty() id: string;
  @ApiProperty() username: string;
  @ApiProperty({ enum: USER_ROLES }) role: string;
  @ApiProperty() created_at: string;
  @ApiProperty() updated_at: string;

  static from(user: UserRecord): UserResponse {
    return { id: user.id, username: user.username, role: user.role, created_at: user.created_at.toISOString(), updated_at: user.updated_at.toISOString() };
  }
}
