/** A kernel connection reduced to its status signal and the code sent to it. */
import { Signal } from '@lumino/signaling';

export class FakeKernel {
  statusChanged = new Signal<any, string>(this);
  sent: { code: string; silent?: boolean; store_history?: boolean }[] = [];
  requestExecute = (content: { code: string; silent?: boolean }) => {
    this.sent.push(content);
  };
}
