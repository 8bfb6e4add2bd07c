/** Waiting for work, but not for ever: answers must come even when a site does not. */

/** Settles when `work` settles or after `ms`, whichever comes first (never rejects). */
export function atMost(work: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise(resolve => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([work.catch(() => undefined), timeout]).finally(() =>
    clearTimeout(timer)
  );
}
