import { Body, Controller, Get, HttpCode, Patch, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { LoginService } from '../application/login.service.js';
import { UsersService } from '../application/users.service.js';
import type { Principal } from '../domain/principal.js';
import { ApiZodBody, CurrentPrincipal, Public, ZodPipe } from '#common';
import { ChangePasswordRequest, LoginRequest } from '../domain/requests.js';
import { LoginResponse, PrincipalResponse } from './dto/login.dto.js';

@ApiTags('auth')
@Controller('api')
export class AuthController {
  constructor(
    private readonly logins: LoginService,
    private readonly users: UsersService,
  ) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange a username and password for a bearer token (401 without saying which was wrong; 429 after repeated failures)' })
  @ApiZodBody(LoginRequest)
  @ApiOkResponse({ type: LoginResponse })
  login(@Body(new ZodPipe(LoginRequest)) body: LoginRequest, @Req() request: FastifyRequest): Promise<LoginResponse> {
    return this.logins.login(body.username, body.password, request.ip);
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Who the bearer token belongs to (any role)' })
  @ApiOkResponse({ type: PrincipalResponse })
  me(@CurrentPrincipal() principal: Principal): PrincipalResponse {
    return { kind: principal.kind, id: principal.id, username: principal.name, role: principal.role };
  }

  @Patch('me/password')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Change your own password; your older tokens stop working on every replica (throttled as logins are: 429 with Retry-After)' })
  @ApiZodBody(ChangePasswordRequest)
  async changePassword(
    @CurrentPrincipal() principal: Principal,
    @Body(new ZodPipe(ChangePasswordRequest)) body: ChangePasswordRequest,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    await this.users.changeOwnPassword(principal, body.current_password, body.new_password, request.ip);
  }
}
