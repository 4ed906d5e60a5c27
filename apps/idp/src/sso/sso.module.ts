import { Module } from '@nestjs/common';
import { CATALOG_STREAM } from '@jit/catalog-contracts';
import { DIRECTORY_STREAM } from '@jit/directory-contracts';
import { ConsumerProgress, FreshnessGate, NatsBus } from '@jit/messaging';
import { IDP_CONFIG, type IdpConfig } from '../config';
import { SigningKeysService } from '../keys/signing-keys.service';
import { ReadModelHandler } from '../read-model/read-model.handler';
import { ReadModelService } from '../read-model/read-model.service';
import { SessionStore } from '../sessions/session-store';
import { ReplayCache } from './replay-cache';
import { AdminController } from '../admin/admin.controller';
import { AuditService } from '../audit/audit.service';
import { SsoController } from './sso.controller';
import { FRESHNESS_GATE, SsoService } from './sso.service';

/** The streams whose state decides a sign-in. */
export const IDP_CONSUMES = [DIRECTORY_STREAM, CATALOG_STREAM] as const;

@Module({
  controllers: [SsoController, AdminController, ReadModelHandler],
  providers: [
    SsoService,
    AuditService,
    ReadModelService,
    SigningKeysService,
    ReplayCache,
    {
      provide: SessionStore,
      inject: [IDP_CONFIG],
      useFactory: (c: IdpConfig) => new SessionStore(c.IDP_SESSION_IDLE_SECONDS * 1000, c.IDP_SESSION_ABSOLUTE_SECONDS * 1000),
    },
    {
      provide: FRESHNESS_GATE,
      inject: [NatsBus, ConsumerProgress, IDP_CONFIG],
      useFactory: (bus: NatsBus, progress: ConsumerProgress, c: IdpConfig) =>
        new FreshnessGate(bus, progress, IDP_CONSUMES, c.IDP_FRESHNESS_WAIT_MS),
    },
  ],
})
export class SsoModule {}
