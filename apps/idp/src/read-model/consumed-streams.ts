import { CATALOG_STREAM } from '@jit/catalog-contracts';
import { DIRECTORY_STREAM } from '@jit/directory-contracts';

/** The streams whose state decides a sign-in. */
export const IDP_CONSUMES = [DIRECTORY_STREAM, CATALOG_STREAM] as const;
