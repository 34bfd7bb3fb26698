import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, Matches, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { USERNAME, USERNAME_RULE } from '#config';
import { USER_ROLES, type UserRole } from '../../domain/role.js';
import type { UserRecord } from '../../infra/users.repository.js';

export class CreateUserRequest {
  @ApiProperty({ example: 'operator1', pattern: USERNAME.source })
  @IsString()
  @Matches(USERNAME, { message: `username must be ${USERNAME_RULE}` })
  username: string;

  @ApiProperty({ minLength: 8 })
  @IsString()
  @MinLength(8)
  @MaxLength(1024)
  password: string;

  @ApiProperty({ enum: USER_ROLES })
  @IsIn(USER_ROLES)
  role: UserRole;
}

export class UpdateUserRequest {
  // Absent means unchanged; null is not a role (IsOptional would let null through to the service).
  @ApiPropertyOptional({ enum: USER_ROLES })
  @ValidateIf((_, value) => value !== undefined)
  @IsIn(USER_ROLES)
  role?: UserRole;

  @ApiPropertyOptional({ minLength: 8, description: 'A new password; tokens issued before it stop working' })
  @ValidateIf((_, value) => value !== undefined)
  @IsString()
  @MinLength(8)
  @MaxLength(1024)
  password?: string;
}

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
