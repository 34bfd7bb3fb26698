import { Body, Controller, Get, Headers, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requestActor, type Principal } from '#auth';
import { ApiZodBody, ApiZodQuery, CurrentPrincipal, queryFlag, RequireRole, ZodPipe } from '#common';
import { BackupService, type RestoreReport } from '../application/backup.service.js';
import { BackupDocument } from '../domain/backup-document.js';
import { checkedPassphrase } from '../domain/sealed-secrets.js';

const PASSPHRASE_HEADER = 'x-backup-passphrase';
const RestoreQuery = z.object({
  mode: z.enum(['replace', 'merge'], { message: 'is required: replace or merge' }),
  dry_run: queryFlag.default(false).describe('true: answer what would change, change nothing'),
});

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
  @ApiZodQuery(RestoreQuery)
  @ApiHeader({ name: 'X-Backup-Passphrase', required: false, description: 'required when the document holds sealed secrets' })
  @ApiZodBody(BackupDocument, 'a document from GET /api/backup')
  @ApiOkResponse({ description: 'what changed (or would change) per section: created, updated and removed keys, unchanged count' })
  restore(
    @Body() body: unknown,
    @Query(new ZodPipe(RestoreQuery)) { mode, dry_run: dryRun }: z.infer<typeof RestoreQuery>,
    @Headers(PASSPHRASE_HEADER) passphrase: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
  ): Promise<RestoreReport> {
    return this.backups.restore(body, { mode, dryRun, passphrase: checkedPassphrase(passphrase) }, requestActor(principal, request));
  }
}
