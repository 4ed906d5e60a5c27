import { EventPattern, MessagePattern } from '@nestjs/microservices';
import type { EventContract, PayloadOf, RequestOf, ResponseOf, RpcContract, StreamContract } from './contract';
import { resyncPattern, type ResyncRequest, type ResyncResult } from './snapshot';

/**
 * `@EventPattern` bound to contracts: the handler's first parameter must accept the payload of
 * every subject it is bound to, or the code does not compile.
 */
export function OnEvent<Cs extends readonly EventContract[]>(...contracts: Cs) {
  return <M extends (payload: PayloadOf<Cs[number]>, ...rest: never[]) => Promise<unknown>>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): void => {
    EventPattern(contracts.map((c) => c.subject))(target, key, descriptor);
  };
}

/** `@MessagePattern` bound to an RPC contract: request and reply types are checked. */
export function AnswerRpc<C extends RpcContract>(contract: C) {
  return <M extends (request: RequestOf<C>, ...rest: never[]) => Promise<ResponseOf<C>>>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): void => {
    MessagePattern(contract.subject)(target, key, descriptor);
  };
}

/**
 * Registers the hook BusTransport calls when the consumer of `stream` finds it trimmed past what
 * it applied: rebuild what the stream fed from the producer's snapshot, then tailing goes on.
 * Every consumed stream needs one.
 */
export function OnResync(stream: StreamContract) {
  return <M extends (request: ResyncRequest, ...rest: never[]) => Promise<ResyncResult>>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): void => {
    EventPattern(resyncPattern(stream))(target, key, descriptor as PropertyDescriptor);
  };
}
