import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { UsersService } from '../application/users.service.js';
import type { Principal } from '../domain/principal.js';
import { ApiZodBody, CurrentPrincipal, RequireRole, ZodPipe } from '#common';
import { CreateUserRequest, UpdateUserRequest } from '../domain/requests.js';
import { UserResponse } from './dto/user.dto.js';

const uuid = new ParseUUIDPipe({ version: undefined });

@ApiTags('users')
@ApiBearerAuth()
@RequireRole('admin')
@Controller('api/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOperation({ summary: 'List users (admin)' })
  @ApiOkResponse({ type: [UserResponse] })
  async list(): Promise<UserResponse[]> {
    return (await this.users.list()).map(UserResponse.from);
  }

  @Post()
  @ApiOperation({ summary: 'Create a user (admin); 409 if the username is taken' })
  @ApiZodBody(CreateUserRequest)
  @ApiCreatedResponse({ type: UserResponse })
  async create(@Body(new ZodPipe(CreateUserRequest)) body: CreateUserRequest, @CurrentPrincipal() admin: Principal): Promise<UserResponse> {
    return UserResponse.from(await this.users.create(body, admin));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One user (admin)' })
  @ApiOkResponse({ type: UserResponse })
  async get(@Param('id', uuid) id: string): Promise<UserResponse> {
    return UserResponse.from(await this.users.get(id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a role or password (admin); the last admin cannot be demoted (409)' })
  @ApiOkResponse({ type: UserResponse })
  @ApiZodBody(UpdateUserRequest)
  async update(
    @Param('id', uuid) id: string,
    @Body(new ZodPipe(UpdateUserRequest)) body: UpdateUserRequest,
    @CurrentPrincipal() admin: Principal,
  ): Promise<UserResponse> {
    return UserResponse.from(await this.users.update(id, body, admin));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a user (admin); the last admin cannot be deleted (409)' })
  async delete(@Param('id', uuid) id: string, @CurrentPrincipal() admin: Principal): Promise<void> {
    await this.users.delete(id, admin);
  }
}
