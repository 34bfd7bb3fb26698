import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requestActor, type Principal } from '#auth';
import { ApiZodBody, ApiZodQuery, CurrentPrincipal, PageLimitQuery, RequireRole, ZodPipe } from '#common';
import { RegistryConfigService } from '../application/registry-config.service.js';
import type { PublicRegistryEntry } from '../domain/registry-entry.js';
import type { ConfigAuditRecord } from '../domain/config-audit.js';
import { RegistryEntryInput } from '../domain/parse-registry-config.js';
import { RegistryConfigAuditDoc, RegistryEntryDoc } from './dto/registry-entry.doc.js';

/** GO-NMOS's configuration API (HA guide §4), its curl example working as written. Viewers read; engineers and admins write. */
@ApiTags('registries')
@ApiBearerAuth()
@Controller('api/registry/config')
export class RegistryConfigController {
  constructor(private readonly config: RegistryConfigService) {}

  @Get()
  @ApiOperation({ summary: 'The configured registries (viewer and up); PUT the answer back and nothing changes' })
  @ApiOkResponse({ type: [RegistryEntryDoc] })
  list(): Promise<PublicRegistryEntry[]> {
    return this.config.list();
  }

  @Put()
  @RequireRole('engineer')
  @ApiOperation({ summary: 'Replace the whole list atomically (engineer and up); answers what was saved' })
  @ApiZodBody(z.array(RegistryEntryInput))
  @ApiOkResponse({ type: [RegistryEntryDoc] })
  replace(@Body() body: unknown, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest): Promise<PublicRegistryEntry[]> {
    return this.config.replace(body, requestActor(principal, request));
  }

  @Post()
  @RequireRole('engineer')
  @ApiOperation({ summary: 'Add one registry (engineer and up); 409 if the name is used' })
  @ApiZodBody(RegistryEntryInput)
  @ApiCreatedResponse({ type: RegistryEntryDoc })
  add(@Body() body: unknown, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest): Promise<PublicRegistryEntry> {
    return this.config.add(body, requestActor(principal, request));
  }

  @Get('audit')
  @RequireRole('engineer')
  @ApiOperation({ summary: 'Who changed the configuration, when, before and after (engineer and up), newest first' })
  @ApiZodQuery(PageLimitQuery)
  @ApiOkResponse({ type: [RegistryConfigAuditDoc] })
  audit(@Query(new ZodPipe(PageLimitQuery)) { limit }: { limit: number }): Promise<ConfigAuditRecord[]> {
    return this.config.auditTrail(limit);
  }

  @Patch(':name')
  @RequireRole('engineer')
  @ApiOperation({ summary: 'Change some fields of one registry (engineer and up)' })
  @ApiZodBody(RegistryEntryInput)
  @ApiOkResponse({ type: RegistryEntryDoc })
  update(
    @Param('name') name: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
  ): Promise<PublicRegistryEntry> {
    return this.config.update(name, body, requestActor(principal, request));
  }

  @Delete(':name')
  @HttpCode(204)
  @RequireRole('engineer')
  @ApiOperation({ summary: 'Remove one registry (engineer and up)' })
  async remove(@Param('name') name: string, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest): Promise<void> {
    await this.config.remove(name, requestActor(principal, request));
  }
}
