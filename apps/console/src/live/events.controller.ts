import { Controller, Get, Req, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { SignedIn } from '../session/console-session';
import { ConsoleSessionGuard, CurrentSession } from '../session/session.guard';
import { LiveEvents } from './live-events';

export const HEARTBEAT_MS = 15_000;

@Controller('api/events')
@UseGuards(ConsoleSessionGuard)
export class EventsController {
  constructor(private readonly live: LiveEvents) {}

  /** Server-sent events: the subject and ids of each change in the person's organisation, as it happens. */
  @Get()
  @ApiExcludeEndpoint()
  stream(@CurrentSession() session: SignedIn, @Req() req: Request, @Res() res: Response): void {
    res.status(200).set({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // A proxy that buffers (nginx) would hold the events back.
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    res.write(': connected\n\n');
    const stop = this.live.listen(
      session.organization.id,
      (event) => res.write(`data: ${JSON.stringify(event)}\n\n`),
      () => res.end(),
    );
    // A comment now and then keeps proxies and browsers from closing an idle stream.
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    req.on('close', () => {
      clearInterval(heartbeat);
      stop();
    });
  }
}
