/** AUTO_APPLY and AUTO_APPLY_CONFIDENCE (SPEC §12): defaults, and a wrong value names the variable. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('AUTO_APPLY', () => {
  it('defaults to customer.speech at confidence 0.9', () => {
    const config = loadConfig({});
    expect(config.autoApply).toEqual(['customer.speech']);
    expect(config.autoApplyConfidence).toBe(0.9);
  });

  it('takes comma-separated event types (duplicates once); empty applies nothing', () => {
    expect(loadConfig({ AUTO_APPLY: ' customer.speech, customer.profanity ,customer.speech' }).autoApply).toEqual([
      'customer.speech',
      'customer.profanity',
    ]);
    expect(loadConfig({ AUTO_APPLY: '' }).autoApply).toEqual([]);
    expect(loadConfig({ AUTO_APPLY_CONFIDENCE: '0.75' }).autoApplyConfidence).toBe(0.75);
    expect(loadConfig({ AUTO_APPLY_CONFIDENCE: '1' }).autoApplyConfidence).toBe(1);
  });

  it.each([
    ['AUTO_APPLY', 'customer.shouting'],
    ['AUTO_APPLY', 'customer.speech,hold'],
    ['AUTO_APPLY_CONFIDENCE', '1.5'],
    ['AUTO_APPLY_CONFIDENCE', '-0.1'],
    ['AUTO_APPLY_CONFIDENCE', 'high'],
    ['AUTO_APPLY_CONFIDENCE', ' '],
  ])('refuses %s=%s with a message naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});
