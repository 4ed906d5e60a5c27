import { Logger, type Provider } from '@nestjs/common';
import { IDP_CONFIG, nameIdSecretOf, type IdpConfig } from '../config';

/** The secret that keys persistent NameIDs (a string; see nameIdSecretOf). */
export const NAMEID_SECRET = Symbol('NAMEID_SECRET');

export const nameIdSecretProvider: Provider = {
  provide: NAMEID_SECRET,
  inject: [IDP_CONFIG],
  useFactory: (config: IdpConfig) => nameIdSecretOf(config, (message) => new Logger('NameIdSecret').warn(message)),
};
