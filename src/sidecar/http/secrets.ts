/** Which secret a request carries: `Authorization: token <secret>`, compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';

import type { Caller } from './router';

export class CallerCheck {
  private readonly server: Buffer;
  private readonly kernel: Buffer | undefined;

  constructor(serverSecret: string, kernelSecret: string) {
    this.server = digest(serverSecret);
    this.kernel = kernelSecret ? digest(kernelSecret) : undefined;
  }

  /** The caller proven by an Authorization header, if any. */
  identify(header: string | undefined): Caller | undefined {
    const match = /^token\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match) {
      return undefined;
    }
    const given = digest(match[1]);
    if (timingSafeEqual(given, this.server)) {
      return 'server';
    }
    if (this.kernel && timingSafeEqual(given, this.kernel)) {
      return 'kernel';
    }
    return undefined;
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
