// How many bytes of evidence files each API key may upload: a budget per hour, so one key cannot
// fill a provider account's file storage or the gateway's bandwidth. An interface, so replicas can
// later share it; the default lives in process memory.
import { TokenBucket } from '../token-bucket.js';

export interface UploadBudget {
  /** Spends `bytes` of this caller's budget: true, or false (nothing spent) when it is used up. */
  spend(caller: string, bytes: number): Promise<boolean>;
}

export const DEFAULT_UPLOAD_BYTES_PER_HOUR = 500 * 1024 * 1024;

/** One bucket per caller refilling `bytesPerHour` an hour, holding up to an hour's worth. */
export function inMemoryUploadBudget(bytesPerHour = DEFAULT_UPLOAD_BYTES_PER_HOUR): UploadBudget {
  const buckets = new Map<string, TokenBucket>();
  return {
    async spend(caller, bytes) {
      let bucket = buckets.get(caller);
      if (!bucket) buckets.set(caller, (bucket = new TokenBucket(bytesPerHour / 3600, bytesPerHour)));
      return bucket.spend(bytes);
    },
  };
}
