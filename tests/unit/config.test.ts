import { ConfigError, loadConfig } from '../../runtime/config.ts';

test('defaults need no environment at all', () => {
  const config = loadConfig({});
  expect(config).toMatchObject({ PORT: 3000, TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: 'opsflow', API_TEMPORAL_DEADLINE: '10s' });
  expect(config.DATABASE_URL).toBeUndefined();
});

test('a bad value stops start-up with every offending variable named', () => {
  const attempt = () =>
    loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', API_TEMPORAL_DEADLINE: 'soon', TEMPORAL_ADDRESS: 'localhost' });
  expect(attempt).toThrow(ConfigError);
  let message = '';
  try {
    attempt();
  } catch (err) {
    message = (err as Error).message;
  }
  expect(message).toMatch(/PORT: must be a whole number from 0 to 65535/);
  expect(message).toMatch(/DATABASE_URL: must be a URL starting with postgres:\/\//);
  expect(message).toMatch(/API_TEMPORAL_DEADLINE: must be a duration/);
  expect(message).toMatch(/TEMPORAL_ADDRESS: must be host:port/);
});

test('lists are comma separated', () => {
  expect(loadConfig({ CONTENT_BANNED_WORDS: 'scam, fraud ,,' }).CONTENT_BANNED_WORDS).toEqual(['scam', 'fraud']);
});

test('OPSFLOW_ADMIN_TOKEN must carry at least 128 bits: long but guessable values are refused with the reason', () => {
  for (const weak of [
    'a'.repeat(40),
    'abcdefghijklmnopqrstuvwxyz',
    '0123456789abcdef01234567',
    'passwordpasswordpassword',
    'short-Token-1',
    '0123456789abcdef0123456789abcdef',
    'Password123Password123Password123',
  ]) {
    expect(() => loadConfig({ OPSFLOW_ADMIN_TOKEN: weak })).toThrow(
      /OPSFLOW_ADMIN_TOKEN: (is too easy to guess|must be at least 24).*openssl rand -hex 32/,
    );
  }
  for (const strong of [
    '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    'opf_x8Hh2kQm3VbZr5tY7uN1cD5eF0gH6jKaQ9wE2rT',
  ]) {
    expect(loadConfig({ OPSFLOW_ADMIN_TOKEN: strong }).OPSFLOW_ADMIN_TOKEN).toBe(strong);
  }
});

test('TRUST_PROXY takes true, a hop count or addresses', () => {
  expect(loadConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
  expect(loadConfig({ TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1);
  expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).TRUST_PROXY).toBe('loopback, 10.0.0.0/8');
  expect(loadConfig({}).TRUST_PROXY).toBeUndefined();
});

test('WEBHOOK_TIMEOUT that is not a duration is named, not thrown', () => {
  expect(() => loadConfig({ WEBHOOK_TIMEOUT: 'soon' })).toThrow(/WEBHOOK_TIMEOUT: must be a duration/);
});

test("WORKER_WORKFLOW_POLLERS takes 'auto' or a whole number from 2 to 40 (the SDK's workflow-task slots)", () => {
  expect(loadConfig({}).WORKER_WORKFLOW_POLLERS).toBeUndefined();
  expect(loadConfig({ WORKER_WORKFLOW_POLLERS: 'auto' }).WORKER_WORKFLOW_POLLERS).toBe('auto');
  expect(loadConfig({ WORKER_WORKFLOW_POLLERS: '20' }).WORKER_WORKFLOW_POLLERS).toBe(20);
  for (const bad of ['1', '41', 'many', '10.5'])
    expect(() => loadConfig({ WORKER_WORKFLOW_POLLERS: bad })).toThrow(/WORKER_WORKFLOW_POLLERS: must be .*from 2 to 40/);
});
