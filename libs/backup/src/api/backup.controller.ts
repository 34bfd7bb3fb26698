import { Body, Controller, Get, Headers, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestActor, type Principal } from '#auth';
import { ApiZodBody, CurrentPrincipal, DomainError, RequireRole } from '#common';
import { BackupService, type RestoreReport } from '../application/backup.service.js';
import { BackupDocument } from '../domain/backup-document.js';
import { checkedPassphrase } from '../domain/sealed-secrets.js';

const PASSPHRASE_HEADER = 'x-backup-passphrase';

/** Configuration backup and restore (HA guide §8), for admins only. */
@ApiTags('backup')
@ApiBearerAuth()
@Controller('api')
export class BackupController {
  constructor(private readonly backups: BackupService) {}

  @Get('backup')
  @RequireRole('admin')
  @ApiOperation({
    summary:
      'The whole configuration as one versioned JSON document (admin). With X-Backup-Passphrase, registry tokens and API token hashes are included, sealed with it (AES-256-GCM, scrypt); without, they are left out',
  })
  @ApiHeader({ name: 'X-Backup-Passphrase', required: false, description: 'at least 12 characters; never sent in a URL' })
  async backup(
    @Headers(PASSPHRASE_HEADER) passphrase: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<BackupDocument> {
    const document = await this.backups.backup(requestActor(principal, request), checkedPassphrase(passphrase));
    reply.header('content-disposition', `attachment; filename="nmos-control-backup-${document.created_at.replace(/[:.]/g, '-')}.json"`);
    reply.header('cache-control', 'no-store');
    return document;
  }

  @Post('restore')
  @HttpCode(200)
  @RequireRole('admin')
  @ApiOperation({
    summary:
      'Restore a backup document (admin): checked whole first (checksum, secrets, every item), then written in one transaction. mode=replace makes each section exactly the document’s; mode=merge adds and updates only. dry_run=true answers what would change and changes nothing',
  })
  @ApiQuery({ name: 'mode', enum: ['replace', 'merge'] })
  @ApiQuery({ name: 'dry_run', required: false, enum: ['true', 'false'] })
  @ApiHeader({ name: 'X-Backup-Passphrase', required: false, description: 'required when the document holds sealed secrets' })
  @ApiZodBody(BackupDocument, 'a document from GET /api/backup')
  @ApiOkResponse({ description: 'what changed (or would change) per section: created, updated and removed keys, unchanged count' })
  restore(
    @Body() body: unknown,
    @Query('mode') mode: string | undefined,
    @Query('dry_run') dryRun: string | undefined,
    @Headers(PASSPHRASE_HEADER) passphrase: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
  ): Promise<RestoreReport> {
    if (mode !== 'replace' && mode !== 'merge') throw badQuery('mode', 'is required: replace or merge');
    if (dryRun !== undefined && dryRun !== 'true' && dryRun !== 'false') throw badQuery('dry_run', 'must be true or false');
    return this.backups.restore(body, { mode, dryRun: dryRun === 'true', passphrase: checkedPassphrase(passphrase) }, requestActor(principal, request));
  }
}

function badQuery(field: string, message: string): DomainError {
  return new DomainError('invalid', 'validation_failed', `${field}: ${message}`, { fields: [{ field, message }] });
}
