// The index's tables, as versioned migrations both stores run (each once, in order, at open): one
// list, written once, with the two dialects' few differences (integer width, collation) filled in.
export type Dialect = 'sqlite' | 'postgres';

export function migrations(dialect: Dialect): string[] {
  const big = dialect === 'postgres' ? 'BIGINT' : 'INTEGER';
  // Ties are ordered byte-wise: SQLite's default; PostgreSQL's COLLATE "C", whatever the cluster's locale.
  const bytewise = dialect === 'postgres' ? ' COLLATE "C"' : '';
  return [
    `CREATE TABLE disputes (
       provider TEXT NOT NULL, account TEXT${bytewise} NOT NULL, provider_dispute_id TEXT${bytewise} NOT NULL, provider_rank INTEGER NOT NULL,
       created_ms ${big} NOT NULL, due_ms ${big}, due_key ${big} NOT NULL, amount ${big} NOT NULL, currency TEXT NOT NULL,
       status TEXT NOT NULL, reason TEXT NOT NULL, charge TEXT, payment_intent TEXT, email TEXT,
       status_rank INTEGER NOT NULL, submissions INTEGER NOT NULL, observed_ms ${big} NOT NULL, synced_ms ${big} NOT NULL, body TEXT NOT NULL,
       PRIMARY KEY (provider, account, provider_dispute_id)
     );
     CREATE INDEX disputes_created ON disputes (created_ms, provider_rank, account, provider_dispute_id);
     CREATE INDEX disputes_due ON disputes (status, due_key, provider_rank, account, provider_dispute_id);
     CREATE INDEX disputes_due_all ON disputes (due_key, provider_rank, account, provider_dispute_id);
     CREATE INDEX disputes_amount ON disputes (amount, provider_rank, account, provider_dispute_id);
     CREATE INDEX disputes_charge ON disputes (charge) WHERE charge IS NOT NULL;
     CREATE INDEX disputes_payment_intent ON disputes (payment_intent) WHERE payment_intent IS NOT NULL;
     CREATE INDEX disputes_email ON disputes (email) WHERE email IS NOT NULL;
     CREATE INDEX disputes_pid ON disputes (provider_dispute_id);
     CREATE TABLE sync_accounts (
       provider TEXT NOT NULL, account TEXT NOT NULL, phase TEXT NOT NULL, position TEXT, listed INTEGER NOT NULL,
       total INTEGER, head_created_ms ${big}, last_synced_ms ${big}, last_error TEXT,
       PRIMARY KEY (provider, account)
     );
     CREATE TABLE sync_lease (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_ms ${big} NOT NULL);`,
    // Event replay's checkpoint.
    `ALTER TABLE sync_accounts ADD COLUMN events_since_ms ${big};
     ALTER TABLE sync_accounts ADD COLUMN replay TEXT;`,
    // Deadline reminders: one row per dispute and window, claimed once (sent = 1), or marked passed
    // (sent = 0) for a larger window the dispute was already inside when its first reminder went.
    `CREATE TABLE reminders (
       provider TEXT NOT NULL, account TEXT NOT NULL, provider_dispute_id TEXT NOT NULL, reminder_window TEXT NOT NULL,
       due_ms ${big} NOT NULL, claimed_ms ${big} NOT NULL, sent INTEGER NOT NULL,
       PRIMARY KEY (provider, account, provider_dispute_id, reminder_window)
     );
     CREATE INDEX reminders_due ON reminders (due_ms);`,
    // Reads answered from indexes alone, never the rows (whose bodies are large): the order indexes
    // carry the provider too, so a page's or a count's account condition needs no row; and one index
    // holds every column a GROUP BY of disputeStats looks at.
    `DROP INDEX disputes_created;
     DROP INDEX disputes_due;
     DROP INDEX disputes_due_all;
     DROP INDEX disputes_amount;
     CREATE INDEX disputes_created ON disputes (created_ms, provider_rank, account, provider_dispute_id, provider);
     CREATE INDEX disputes_due ON disputes (status, due_key, provider_rank, account, provider_dispute_id, provider);
     CREATE INDEX disputes_due_all ON disputes (due_key, provider_rank, account, provider_dispute_id, provider);
     CREATE INDEX disputes_amount ON disputes (amount, provider_rank, account, provider_dispute_id, provider);
     CREATE INDEX disputes_facts ON disputes (provider, account, status, currency, reason, amount, due_ms, created_ms);`,
  ];
}
