/**
 * `work`'s outcome, or a rejection with "no answer within N ms" once `ms` pass first (for probes that
 * must stay quick during an outage). `work` itself is not stopped; its late outcome is ignored.
 */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
