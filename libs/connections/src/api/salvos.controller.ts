import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '#auth';
import { ApiZodBody, CurrentPrincipal, parseInput, RequireRole, ZodPipe } from '#common';
import { Idempotent } from '#database';
import { NamedSalvos } from '../scheduling/application/named-salvos.service.js';
import { SalvoService, type SalvoResult } from '../routing/application/salvo.service.js';
import { SalvoRequest, SavedSalvoBody } from '../domain/requests.js';
import type { NamedSalvo } from '../scheduling/domain/salvo-records.js';
import { actorOf, overrideReasonOf } from './actor.js';

/** 200 when every item did what was asked; 207 when the per-item results must be read. */
function salvoStatus(result: SalvoResult): number {
  return result.outcome === 'succeeded' ? 200 : 207;
}

/** Salvos: fired now (ad hoc, or saved under a name) with per-item results. */
@ApiTags('salvos')
@ApiBearerAuth()
@Controller('api/salvos')
export class SalvosController {
  constructor(
    private readonly salvos: SalvoService,
    private readonly named: NamedSalvos,
  ) {}

  @Post()
  @RequireRole('operator')
  @ApiOperation({
    summary: 'Fire a salvo: one /bulk/receivers POST per device, per-item results; on_failure rollback (default) or continue',
    description: '200 when every item succeeded, 207 otherwise (read outcome and items).',
  })
  @Idempotent((request) => [parseInput(SalvoRequest, request.body, 'invalid_salvo'), overrideReasonOf(request)])
  @ApiHeader({ name: 'X-Override-Reason', required: false })
  @ApiZodBody(SalvoRequest)
  async fire(
    @Body(new ZodPipe(SalvoRequest, 'invalid_salvo')) salvo: SalvoRequest,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SalvoResult> {
    const result = await this.salvos.fire(actorOf(principal, request), salvo, overrideReasonOf(request));
    void reply.status(salvoStatus(result));
    return result;
  }

  @Get('saved')
  @ApiOperation({ summary: 'Saved salvos' })
  list(): Promise<NamedSalvo[]> {
    return this.named.list();
  }

  @Get('saved/:name')
  get(@Param('name') name: string): Promise<NamedSalvo> {
    return this.named.get(name);
  }

  @Put('saved/:name')
  @RequireRole('operator')
  @ApiOperation({ summary: "Save (create or replace) a named salvo; replacing another's needs admin and X-Override-Reason (423 otherwise)" })
  @ApiHeader({ name: 'X-Override-Reason', required: false })
  @ApiZodBody(SavedSalvoBody)
  save(@Param('name') name: string, @Body() body: unknown, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest): Promise<NamedSalvo> {
    return this.named.save(actorOf(principal, request), name, body, overrideReasonOf(request));
  }

  @Delete('saved/:name')
  @HttpCode(204)
  @RequireRole('operator')
  async remove(@Param('name') name: string, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest): Promise<void> {
    await this.named.remove(actorOf(principal, request), name, overrideReasonOf(request));
  }

  @Post('saved/:name/fire')
  @RequireRole('operator')
  @ApiOperation({ summary: "Fire a saved salvo by name; another's needs admin and X-Override-Reason (423 otherwise)" })
  @ApiHeader({ name: 'X-Override-Reason', required: false })
  async fireSaved(
    @Param('name') name: string,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SalvoResult> {
    const result = await this.named.fire(actorOf(principal, request), name, overrideReasonOf(request));
    void reply.status(salvoStatus(result));
    return result;
  }
}
