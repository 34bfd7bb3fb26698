import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { USER_ROLES } from '../../domain/role.js';

export class LoginRequest {
  @ApiProperty({ example: 'admin' })
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  username: string;

  @ApiProperty({ example: 'change-me' })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password: string;
}

export class LoginUser {
  @ApiProperty() username: string;
  @ApiProperty({ enum: USER_ROLES }) role: string;
}

export class LoginResponse {
  @ApiProperty({ description: 'Bearer JWT for the Authorization header' }) token: string;
  @ApiProperty({ description: 'Seconds until the token expires' }) expires_in: number;
  @ApiProperty({ type: LoginUser }) user: LoginUser;
}

export class ChangePasswordRequest {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(1024) current_password: string;
  @ApiProperty({ minLength: 8 }) @IsString() @MinLength(8) @MaxLength(1024) new_password: string;
}

export class PrincipalResponse {
  @ApiProperty({ enum: ['user', 'api_token'] }) kind: string;
  @ApiProperty() id: string;
  @ApiProperty({ description: 'Username, or the API token name' }) username: string;
  @ApiProperty({ enum: [...USER_ROLES, 'automation'] }) role: string;
}
