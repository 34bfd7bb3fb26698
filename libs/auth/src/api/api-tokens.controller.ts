import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiTokensService } from '../application/api-tokens.service.js';
import type { Principal } from '../domain/principal.js';
import { ApiZodBody, CurrentPrincipal, RequireRole, ZodPipe } from '#common';
import { CreateApiTokenRequest } from '../domain/requests.js';
import { ApiTokenResponse, CreatedApiTokenResponse } from './dto/api-token.dto.js';

@ApiTags('api tokens')
@ApiBearerAuth()
@RequireRole('admin')
@Controller('api/tokens')
export class ApiTokensController {
  constructor(private readonly tokens: ApiTokensService) {}

  @Get()
  @ApiOperation({ summary: 'List API tokens with their last use (admin); the tokens themselves are never shown again' })
  @ApiOkResponse({ type: [ApiTokenResponse] })
  async list(): Promise<ApiTokenResponse[]> {
    return (await this.tokens.list()).map(ApiTokenResponse.from);
  }

  @Post()
  @ApiOperation({ summary: 'Create an automation token (admin); the token is in this answer only' })
  @ApiZodBody(CreateApiTokenRequest)
  @ApiCreatedResponse({ type: CreatedApiTokenResponse })
  async create(@Body(new ZodPipe(CreateApiTokenRequest)) body: CreateApiTokenRequest, @CurrentPrincipal() admin: Principal): Promise<CreatedApiTokenResponse> {
    const { token, record } = await this.tokens.create(body.name, admin);
    return { ...ApiTokenResponse.from(record), token };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a token (admin); refused on every replica within seconds' })
  async revoke(@Param('id', new ParseUUIDPipe({ version: undefined })) id: string): Promise<void> {
    await this.tokens.revoke(id);
  }
}
