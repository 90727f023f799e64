import { ConfigError, validateConfig } from '#config';
import { relayEnabled } from './from-config.js';

describe('relay configuration', () => {
  test('auto: the relay runs in the API exactly when KAFKA_BROKERS is set; RELAY_ENABLED=false turns it off', () => {
    expect(relayEnabled(validateConfig({}))).toBe(false);
    const withKafka = validateConfig({ KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.2:9092' });
    expect(withKafka.KAFKA_BROKERS).toEqual(['127.0.0.1:9092', '127.0.0.2:9092']);
    expect(relayEnabled(withKafka)).toBe(true);
    expect(relayEnabled(validateConfig({ KAFKA_BROKERS: '127.0.0.1:9092', RELAY_ENABLED: 'false' }))).toBe(false);
    expect(withKafka).toMatchObject({ KAFKA_TOPIC_EVENTS: 'model-ledger.events', KAFKA_TOPIC_PROMOTIONS: 'model-ledger.promotions', KAFKA_TOPIC_PARTITIONS: 3, RELAY_NAME: 'default' });
  });

  test('RELAY_ENABLED=true without brokers, or a bad partition count, stops the start with the setting named', () => {
    expect(() => validateConfig({ RELAY_ENABLED: 'true' })).toThrow(/RELAY_ENABLED=true needs KAFKA_BROKERS/);
    expect(() => validateConfig({ KAFKA_TOPIC_PARTITIONS: '0' })).toThrow(ConfigError);
    expect(() => validateConfig({ KAFKA_TOPIC_PARTITIONS: '0' })).toThrow(/KAFKA_TOPIC_PARTITIONS/);
    expect(() => validateConfig({ RELAY_ENABLED: 'yes' })).toThrow(/RELAY_ENABLED/);
  });
});
