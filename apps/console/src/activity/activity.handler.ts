import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { CATALOG_STREAM } from '@jit/catalog-contracts';
import { DIRECTORY_STREAM } from '@jit/directory-contracts';
import { IDP_STREAM } from '@jit/idp-contracts';
import { OnResync, type BusContext, type ResyncRequest, type ResyncResult } from '@jit/messaging';
import { activityId, CONSUMED_SUBJECTS, toActivity } from './activity-events';
import { ActivityNames } from './activity-names';
import { ActivityService } from './activity.service';

/** The services' events → the activity log. Acked by the transport once the row is stored. */
@Controller()
export class ActivityHandler {
  private readonly logger = new Logger(ActivityHandler.name);

  constructor(
    private readonly activity: ActivityService,
    private readonly names: ActivityNames,
  ) {}

  @EventPattern(CONSUMED_SUBJECTS)
  async onEvent(@Payload() payload: Parameters<typeof toActivity>[1], @Ctx() ctx: BusContext): Promise<void> {
    await this.names.learn(ctx.subject, payload, ctx.streamSequence);
    const names = await this.names.of(payload);
    const row = toActivity(ctx.subject, payload, names);
    if (!row) return;
    const stream = ctx.subject.split('.')[0];
    const id = activityId(stream, ctx.streamSequence, ctx.subject, payload.occurredAt);
    await this.activity.record({ ...row, id });
    // A DIRECTORY event comes after the one that named its group, in the same stream; a CATALOG event may not.
    if (stream === 'catalog') await this.names.awaitNames(id, payload, names);
  }

  // A log has no state to rebuild: what a trimmed stream lost before it was read is gone, and said so.
  @OnResync(IDP_STREAM)
  resyncIdp(request: ResyncRequest): Promise<ResyncResult> {
    return this.gap(request);
  }

  @OnResync(DIRECTORY_STREAM)
  resyncDirectory(request: ResyncRequest): Promise<ResyncResult> {
    return this.gap(request);
  }

  @OnResync(CATALOG_STREAM)
  resyncCatalog(request: ResyncRequest): Promise<ResyncResult> {
    return this.gap(request);
  }

  private gap(request: ResyncRequest): Promise<ResyncResult> {
    if (request.firstSeq > request.ackFloor + 1) {
      this.logger.warn(
        `The activity log misses ${request.stream} events ${request.ackFloor + 1} to ${request.firstSeq - 1}: the stream no longer holds them`,
      );
    }
    return Promise.resolve({ applied: 0, tombstoned: 0 });
  }
}
