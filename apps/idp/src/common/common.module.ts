import { DataSource } from 'typeorm';
import { Module } from '@nestjs/common';
import { ConsumerProgress, EventReplay, FreshnessGate, NatsBus, OutboxLedger } from '@jit/messaging';
import { AuditService } from '../audit/audit.service';
import { IDP_CONFIG, type IdpConfig } from '../config';
import { SigningKeysService } from '../keys/signing-keys.service';
import { IDP_CONSUMES } from '../read-model/consumed-streams';
import { ConsoleApplication } from '../read-model/console-application';
import { ReadModelService } from '../read-model/read-model.service';
import { SessionStore } from '../sessions/session-store';
import { SharedSessions } from '../sessions/shared-sessions';
import { ReplayCache } from '../sso/replay-cache';
import { FRESHNESS_GATE, FreshReadModel } from './fresh-read-model';
import { IdpUrls } from './idp-urls';
import { nameIdSecretProvider } from './name-id-secret';
import { MfaService } from '../mfa/mfa.service';
import { MfaThrottle } from '../mfa/mfa-throttle';
import { PasskeysService } from '../mfa/passkeys.service';
import { BrowserReplies } from './outcome';
import { RefusalResponder } from './refusal-responder';
import { databaseThrottleStore } from './throttle-limiter';
import { PgNotifications } from './pg-notifications';
import { MfaPolicyFreshness } from './mfa-policy-freshness';

const SHARED = [
  AuditService,
  ReadModelService,
  SigningKeysService,
  ReplayCache,
  FreshReadModel,
  IdpUrls,
  RefusalResponder,
  BrowserReplies,
  nameIdSecretProvider,
  MfaService,
  PasskeysService,
  {
    provide: MfaThrottle,
    inject: [IDP_CONFIG, DataSource],
    useFactory: (c: IdpConfig, dataSource: DataSource) =>
      new MfaThrottle(
        {
          perUser: c.IDP_MFA_FAILURES_PER_USER,
          perSession: c.IDP_MFA_FAILURES_PER_SESSION,
          windowSeconds: c.IDP_MFA_THROTTLE_SECONDS,
        },
        databaseThrottleStore(dataSource),
      ),
  },
  { provide: PgNotifications, inject: [IDP_CONFIG], useFactory: (c: IdpConfig) => new PgNotifications(c.DATABASE_URL) },
  MfaPolicyFreshness,
  {
    provide: ConsoleApplication,
    inject: [IDP_CONFIG],
    useFactory: (c: IdpConfig) => new ConsoleApplication(c.CONSOLE_URL, c.CONSOLE_SIGNING_CERTIFICATE),
  },
  {
    provide: SessionStore,
    inject: [IDP_CONFIG, DataSource, PgNotifications],
    useFactory: (c: IdpConfig, dataSource: DataSource, notifications: PgNotifications) => {
      const store = new SessionStore(c.IDP_SESSION_IDLE_SECONDS * 1000, c.IDP_SESSION_ABSOLUTE_SECONDS * 1000, {
        pendingMs: c.IDP_PENDING_SESSION_SECONDS * 1000,
        maxPending: c.IDP_MAX_PENDING_SESSIONS,
      });
      // Signed-in sessions are shared by every IdP instance (docs/operations.md, "Several instances of a service").
      store.share(new SharedSessions(dataSource, notifications, (hash, changed) => store.endedElsewhere(hash, changed)));
      return store;
    },
  },
  {
    provide: FRESHNESS_GATE,
    inject: [NatsBus, ConsumerProgress, IDP_CONFIG, DataSource, EventReplay],
    // While a stream has no leader (a NATS election) the proof comes from the directory's and the
    // catalog's outboxes, in the same PostgreSQL, and the changes there the read model has not
    // applied yet are applied from them (docs/decisions/0012 and 0013).
    useFactory: (bus: NatsBus, progress: ConsumerProgress, c: IdpConfig, dataSource: DataSource, replay: EventReplay) =>
      new FreshnessGate(bus, progress, IDP_CONSUMES, c.IDP_FRESHNESS_WAIT_MS, undefined, new OutboxLedger(dataSource), replay),
  },
];

/**
 * What every entry point of the IdP shares: the read model and its freshness gate, signing keys,
 * sessions, the replay cache, what instances announce to each other (PgNotifications), the audit trail, and how refusals and pages are answered. One
 * instance of each for the whole service.
 */
@Module({ providers: SHARED, exports: SHARED })
export class IdpCommonModule {}
