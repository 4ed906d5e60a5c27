import { parentPort } from 'node:worker_threads';
import { buildResponse, type ResponseOptions } from '@jit/saml';

/** The worker thread of ResponseSigner: one request at a time, each answered as soon as it is signed. */
export interface SignRequest {
  id: number;
  options: ResponseOptions;
}
export type SignAnswer = { id: number; xml: string } | { id: number; error: string };

parentPort?.on('message', ({ id, options }: SignRequest) => {
  // The thread exists to sign: the RSA operation runs here, not on the shared thread pool.
  buildResponse({ ...options, signOn: 'calling-thread' }).then(
    (xml) => parentPort?.postMessage({ id, xml } satisfies SignAnswer),
    (error: unknown) => parentPort?.postMessage({ id, error: error instanceof Error ? error.message : String(error) } satisfies SignAnswer),
  );
});
