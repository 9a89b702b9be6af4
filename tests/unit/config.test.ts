import { ConfigError, loadConfig } from '../../runtime/config.ts';

test('defaults need no environment at all', () => {
  const config = loadConfig({});
  expect(config).toMatchObject({ PORT: 3000, TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: 'opsflow', API_TEMPORAL_DEADLINE: '10s' });
  expect(config.DATABASE_URL).toBeUndefined();
});

test('a bad value stops start-up with every offending variable named', () => {
  const attempt = () => loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', API_TEMPORAL_DEADLINE: 'soon', TEMPORAL_ADDRESS: 'localhost' });
  expect(attempt).toThrow(ConfigError);
  let message = '';
  try { attempt(); } catch (err) { message = (err as Error).message; }
  expect(message).toMatch(/PORT: must be a whole number from 0 to 65535/);
  expect(message).toMatch(/DATABASE_URL: must be a URL starting with postgres:\/\//);
  expect(message).toMatch(/API_TEMPORAL_DEADLINE: must be a duration/);
  expect(message).toMatch(/TEMPORAL_ADDRESS: must be host:port/);
});

test('lists are comma separated', () => {
  expect(loadConfig({ CONTENT_BANNED_WORDS: 'scam, fraud ,,' }).CONTENT_BANNED_WORDS).toEqual(['scam', 'fraud']);
});
