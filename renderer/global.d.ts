import type { BrokerApi } from '../main/ipc/contract';

declare global {
  interface Window {
    readonly broker: BrokerApi;
  }
}
