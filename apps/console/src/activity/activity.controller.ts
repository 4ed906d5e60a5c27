import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ZodQuery, ZodResponse } from '@jit/service';
import type { SignedIn } from '../session/console-session';
import { ConsoleSessionGuard, CurrentSession } from '../session/session.guard';
import { ActivityPage, ActivityQuery, ActivityService } from './activity.service';

@ApiTags('activity')
@Controller('api/activity')
@UseGuards(ConsoleSessionGuard)
export class ActivityController {
  constructor(private readonly activity: ActivityService) {}

  /** Sign-ins, refusals and admin changes of the signed-in person's organisation, newest first. */
  @Get()
  @ZodResponse(200, ActivityPage)
  list(@ZodQuery(ActivityQuery) query: ActivityQuery, @CurrentSession() session: SignedIn): Promise<ActivityPage> {
    return this.activity.page(session.organization.id, query);
  }
}
