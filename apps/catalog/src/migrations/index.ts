import { Initial1764300000000 } from './1764300000000-Initial';
import { ApplicationOptionsAndDirectoryReplica1764800000000 } from './1764800000000-ApplicationOptionsAndDirectoryReplica';
import { DirectoryGroups1764900000000 } from './1764900000000-DirectoryGroups';
import { ConsumerPositions1765000000000 } from './1765000000000-ConsumerPositions';
import { AcsIndexes1765100000000 } from './1765100000000-AcsIndexes';
import { IdpInitiatedRelayStateFromCaller1765200000000 } from './1765200000000-IdpInitiatedRelayStateFromCaller';
import { PortalOptions1765300000000 } from './1765300000000-PortalOptions';
import { DirectoryGroupNames1765640000000 } from './1765640000000-DirectoryGroupNames';
import { DirectoryUserStateStatistics1765650000000 } from './1765650000000-DirectoryUserStateStatistics';
import { MfaOptions1766000000000 } from './1766000000000-MfaOptions';
import { PhishingResistantMfa1766100000000 } from './1766100000000-PhishingResistantMfa';
import { ReadinessColumns1766200000000 } from './1766200000000-ReadinessColumns';
import { ApplicationAudience1766300000000 } from './1766300000000-ApplicationAudience';
import { OutboxStreamSequence1767200000000 } from './1767200000000-OutboxStreamSequence';

/** The catalog's migrations, in the order they run. */
export const CATALOG_MIGRATIONS = [
  Initial1764300000000,
  ApplicationOptionsAndDirectoryReplica1764800000000,
  DirectoryGroups1764900000000,
  ConsumerPositions1765000000000,
  AcsIndexes1765100000000,
  IdpInitiatedRelayStateFromCaller1765200000000,
  PortalOptions1765300000000,
  DirectoryGroupNames1765640000000,
  DirectoryUserStateStatistics1765650000000,
  MfaOptions1766000000000,
  PhishingResistantMfa1766100000000,
  ReadinessColumns1766200000000,
  ApplicationAudience1766300000000,
  OutboxStreamSequence1767200000000,
];
