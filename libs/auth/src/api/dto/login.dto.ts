import { ApiProperty } from '@nestjs/swagger';
import { USER_ROLES } from '../../domain/role.js';

export class LoginUser {
  @ApiProperty() username: string;
  @ApiProperty({ enum: USER_ROLES }) role: string;
}

export class LoginResponse {
  @ApiProperty({ description: 'Bearer JWT for the Authorization header' }) token: string;
  @ApiProperty({ description: 'Seconds until the token expires' }) expires_in: number;
  @ApiProperty({ type: LoginUser }) user: LoginUser;
}

export class PrincipalResponse {
  @ApiProperty({ enum: ['user', 'api_token'] }) kind: string;
  @ApiProperty() id: string;
  @ApiProperty({ description: 'Username, or the API token name' }) username: string;
  @ApiProperty({ enum: [...USER_ROLES, 'automation'] }) role: string;
}
