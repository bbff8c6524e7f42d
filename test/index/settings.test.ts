// The index's settings: each malformed value stops the gateway at start with a message naming the
// variable (never echoing a DATABASE_URL, which may hold a password), and a second process on the
// embedded store's DATA_DIR is refused, pointing at DATABASE_URL.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { indexSettings } from '../../src/config.js';
import { readyUrl, spawnGateway } from '../helpers/process.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('index settings', () => {
  it('reads the defaults, and each setting as given', () => {
    const defaults = {
      reminders: [
        { label: '24h', ms: 86_400_000 },
        { label: '72h', ms: 259_200_000 },
      ],
      reminderTickS: 60,
    };
    expect(indexSettings({})).toEqual({ databaseUrl: undefined, dataDir: './data', reconcileEveryS: 300, leaseS: 15, ...defaults });
    expect(indexSettings({ DEADLINE_REMINDERS: 'off', DEADLINE_REMINDER_TICK_S: '5' })).toMatchObject({ reminders: [], reminderTickS: 5 });
    // Off with the index: reminders are off too, and saying so explicitly is fine.
    expect(indexSettings({ INDEX: 'off', DEADLINE_REMINDERS: 'off' })).toBeNull();
    expect(indexSettings({ INDEX: 'off' })).toBeNull();
    expect(indexSettings({ INDEX: ' ON ', DATABASE_URL: 'postgresql://u:p@db:5432/x', INDEX_RECONCILE_EVERY_S: '1', DATA_DIR: '/var/lib/dg' })).toEqual({
      databaseUrl: 'postgresql://u:p@db:5432/x',
      dataDir: '/var/lib/dg',
      reconcileEveryS: 1,
      leaseS: 15,
      ...defaults,
    });
  });

  it.each([
    [{ INDEX: 'maybe' }, /^INDEX must be on or off/],
    [{ INDEX_RECONCILE_EVERY_S: '0' }, /^INDEX_RECONCILE_EVERY_S must be a positive integer/],
    [{ INDEX_RECONCILE_EVERY_S: '5m' }, /^INDEX_RECONCILE_EVERY_S must be a positive integer/],
    [{ INDEX_LEASE_S: '-1' }, /^INDEX_LEASE_S must be a positive integer/],
    [{ DATABASE_URL: 'mysql://root:hunter2@db/x' }, /^DATABASE_URL must be a PostgreSQL URL/],
    [{ DATABASE_URL: 'not a url hunter2' }, /^DATABASE_URL must be a PostgreSQL URL/],
    [{ DEADLINE_REMINDERS: '24' }, /^DEADLINE_REMINDERS must be durations like 72h,24h/],
    [{ DEADLINE_REMINDERS: '2w' }, /^DEADLINE_REMINDERS must be durations/],
    [{ DEADLINE_REMINDER_TICK_S: '0' }, /^DEADLINE_REMINDER_TICK_S must be a positive integer/],
    [{ INDEX: 'off', DEADLINE_REMINDERS: '24h' }, /^DEADLINE_REMINDERS needs the dispute index, which INDEX=off turns off/],
    // Checked even with the index off: a typo is not silently ignored.
    [{ INDEX: 'off', INDEX_RECONCILE_EVERY_S: 'x' }, /^INDEX_RECONCILE_EVERY_S/],
  ])('refuses %j', (env, message) => {
    let err: Error | undefined;
    try {
      indexSettings(env);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).toMatch(message);
    expect(err?.message).not.toContain('hunter2');
  });

  it('stops the gateway at start naming the variable', async () => {
    const child = spawnGateway({ PORT: '0', INDEX: 'on', INDEX_RECONCILE_EVERY_S: 'soon' });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(err).toContain('Configuration error: INDEX_RECONCILE_EVERY_S must be a positive integer');
  });

  it('refuses a second process on the same DATA_DIR, pointing at DATABASE_URL', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'dg-index-lock-'));
    dirs.push(dataDir);
    // Outside the sandbox (which indexes into a temporary folder of its own): a provider that answers nothing.
    const env = {
      PORT: '0',
      INDEX: 'on',
      DATA_DIR: dataDir,
      GATEWAY_AUTH: 'none',
      STRIPE_SECRET_KEY: 'sk_test_indexLock000000000000',
      STRIPE_API_BASE: 'http://127.0.0.1:9',
    };
    const first = spawnGateway(env);
    try {
      await readyUrl(first);
      const second = spawnGateway(env);
      let err = '';
      second.stderr!.on('data', (c: Buffer) => (err += c.toString()));
      const [code] = await once(second, 'exit');
      expect(code).toBe(1);
      expect(err).toMatch(new RegExp(`DATA_DIR ${dataDir} is in use by process ${first.pid}.*DATABASE_URL`));
    } finally {
      first.kill('SIGTERM');
      await once(first, 'exit');
    }
  });
});
