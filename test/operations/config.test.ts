/** IDLE_CALL_SECONDS and RETENTION_DAYS (SPEC §10): defaults, fractions, and clear refusals. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('operations settings', () => {
  it('default to two hours and 30 days, and take fractions', () => {
    expect(loadConfig({})).toMatchObject({ idleCallSeconds: 7200, retentionDays: 30 });
    expect(loadConfig({ IDLE_CALL_SECONDS: '1.5', RETENTION_DAYS: '0.00002' })).toMatchObject({
      idleCallSeconds: 1.5,
      retentionDays: 0.00002,
    });
    expect(loadConfig({ IDLE_CALL_SECONDS: '', RETENTION_DAYS: '' })).toMatchObject({
      idleCallSeconds: 7200,
      retentionDays: 30,
    });
  });

  it.each([
    ['IDLE_CALL_SECONDS', '0', 'seconds above 0'],
    ['IDLE_CALL_SECONDS', '-5', 'seconds above 0'],
    ['IDLE_CALL_SECONDS', 'two hours', 'got "two hours"'],
    ['IDLE_CALL_SECONDS', ' ', 'fractions allowed'],
    ['IDLE_CALL_SECONDS', '2592001', 'at most 2592000'],
    ['RETENTION_DAYS', '0', 'days above 0'],
    ['RETENTION_DAYS', 'Infinity', 'days above 0'],
    ['RETENTION_DAYS', '1e9', 'at most 36500'],
  ])('refuse %s=%j, saying what it accepts', (name, value, says) => {
    const load = () => loadConfig({ [name]: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(name);
    expect(load).toThrow(says);
  });
});
