import { Global, Module } from '@nestjs/common';
import type { FreshnessGate } from '@jit/messaging';
import { IDP_STREAM } from '@jit/idp-contracts';
import { STREAM_FALLBACK, type StreamFallback } from '@jit/service';
import { IdpCommonModule } from './common.module';
import { FRESHNESS_GATE } from './fresh-read-model';

/**
 * What the IdP can answer without a stream, for /ready (docs/decisions/0012): sign-ins while
 * DIRECTORY or CATALOG has no leader, when its freshness gate can prove them from the outboxes;
 * anything while IDP cannot take writes, since its own events wait in its outbox. Global, so that
 * the shared health controller finds it.
 */
@Global()
@Module({
  imports: [IdpCommonModule],
  providers: [
    {
      provide: STREAM_FALLBACK,
      inject: [FRESHNESS_GATE],
      useFactory: (gate: FreshnessGate): StreamFallback => ({
        canServeWithout: (stream) => stream === IDP_STREAM.name || gate.provableFromOutbox(stream),
      }),
    },
  ],
  exports: [STREAM_FALLBACK],
})
export class IdpReadinessModule {}
