// TestPay's wire shape: what its API sends, exactly. Its reader (transformers.ts) and its fake
// (fake/index.ts) both use these types, so the two cannot drift apart.
export interface TestPayDispute {
  id: string;
  /** Minor units. */
  amount: number;
  currency: string;
  status: TestPayStatus;
  /** Unix seconds. */
  created: number;
  channel: string;
}

export const TESTPAY_STATUSES = ['open', 'won', 'lost'] as const;
export type TestPayStatus = (typeof TESTPAY_STATUSES)[number];

export interface TestPayList {
  data: TestPayDispute[];
  has_more: boolean;
}

/** The error envelope of every non-2xx answer. */
export interface TestPayError {
  error: { code: string };
}
