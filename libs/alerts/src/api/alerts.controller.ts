import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import type { Principal } from '#auth';
import { ApiZodBody, ApiZodQuery, CurrentPrincipal, DomainError, PageLimitQuery, RequireRole, storedUuid, ZodPipe } from '#common';
import { AlertHooksService } from '../application/alert-hooks.service.js';
import { HookChange, HookInput, type PublicHook } from '../domain/alert-hook.js';

const DeliveriesQuery = PageLimitQuery.extend({ hook_id: storedUuid.optional() });

/** Alerts and the hooks they are sent to (HA guide §7 "configured alert hooks"). */
@ApiTags('alerts')
@ApiBearerAuth()
@Controller('api/alerts')
export class AlertsController {
  constructor(private readonly hooks: AlertHooksService) {}

  @Get()
  @ApiOperation({ summary: 'Alerts firing now, then the latest resolved (viewer and up)' })
  @ApiZodQuery(PageLimitQuery)
  alerts(@Query(new ZodPipe(PageLimitQuery)) { limit }: { limit: number }) {
    return this.hooks.alerts(limit);
  }

  @Get('hooks')
  @RequireRole('admin')
  @ApiOperation({ summary: 'The alert hooks (admin); URLs without their path, secrets never' })
  list(): Promise<PublicHook[]> {
    return this.hooks.list();
  }

  @Post('hooks')
  @RequireRole('admin')
  @ApiOperation({ summary: 'Add a hook (admin): a generic JSON or Slack-compatible webhook, for every alert or those listed' })
  @ApiZodBody(HookInput)
  create(@Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<PublicHook> {
    return this.hooks.create(body, { kind: principal.kind, id: principal.id, name: principal.name });
  }

  @Patch('hooks/:id')
  @RequireRole('admin')
  @ApiOperation({ summary: 'Change a hook (admin): fields left out are kept, the URL and secret included' })
  @ApiZodBody(HookChange)
  update(@Param('id') id: string, @Body() body: unknown): Promise<PublicHook> {
    return this.hooks.update(uuidOf(id), body);
  }

  @Delete('hooks/:id')
  @HttpCode(204)
  @RequireRole('admin')
  async remove(@Param('id') id: string): Promise<void> {
    await this.hooks.remove(uuidOf(id));
  }

  @Post('hooks/:id/test')
  @HttpCode(202)
  @RequireRole('admin')
  @ApiOperation({ summary: 'Queue a test notification to this hook (admin); see the delivery log for how it went' })
  test(@Param('id') id: string) {
    return this.hooks.test(uuidOf(id));
  }

  @Get('deliveries')
  @RequireRole('admin')
  @ApiOperation({ summary: 'The delivery log, newest first (admin): every notification per hook, attempts, last answer or error' })
  @ApiZodQuery(DeliveriesQuery)
  deliveries(@Query(new ZodPipe(DeliveriesQuery)) { hook_id, limit }: z.infer<typeof DeliveriesQuery>) {
    return this.hooks.deliveries(hook_id, limit);
  }
}

function uuidOf(value: string, field = 'id'): string {
  if (storedUuid.safeParse(value).success) return value;
  throw new DomainError('invalid', 'validation_failed', `${field}: must be a UUID`, { fields: [{ field, message: 'must be a UUID' }] });
}
