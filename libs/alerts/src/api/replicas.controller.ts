import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ReplicasService, type ReplicaView } from '../application/replicas.service.js';

@ApiTags('health')
@ApiBearerAuth()
@Controller('api/replicas')
export class ReplicasController {
  constructor(private readonly replicas: ReplicasService) {}

  @Get()
  @ApiOperation({
    summary:
      'Every live replica (viewer and up): when it last reported, what holds on it (e.g. its broker link down), the leases it holds; `self` is the one answering',
  })
  list(): Promise<ReplicaView[]> {
    return this.replicas.list();
  }
}
