import { EventPattern, MessagePattern } from '@nestjs/microservices';
import type { EventContract, PayloadOf, RequestOf, ResponseOf, RpcContract } from './contract';

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
