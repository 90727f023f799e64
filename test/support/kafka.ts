import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Kafka, logLevel, type Consumer } from 'kafkajs';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
export const KAFKA_BROKERS = process.env.KAFKA_BROKERS;

/** Says plainly in the output that Kafka suites were skipped, instead of passing silently. */
export function describeKafka(name: string, fn: () => void): void {
  if (KAFKA_BROKERS) {
    describe(name, fn);
  } else {
    describe(name, () => {
      test.skip('skipped: KAFKA_BROKERS unset', () => undefined);
    });
    console.warn(`skipped: KAFKA_BROKERS unset — ${name}`);
  }
}

/** Topic names no other test (or engineer) uses. */
export function uniqueTopics(prefix = 't'): { events: string; promotions: string; env: Record<string, string> } {
  const id = `${prefix}-${randomBytes(5).toString('hex')}`;
  const events = `${id}.events`;
  const promotions = `${id}.promotions`;
  return { events, promotions, env: { KAFKA_BROKERS: KAFKA_BROKERS!, KAFKA_TOPIC_EVENTS: events, KAFKA_TOPIC_PROMOTIONS: promotions, KAFKA_TOPIC_PARTITIONS: '3' } };
}

export interface Received {
  topic: string;
  partition: number;
  key: string;
  headers: Record<string, string>;
  value: any;
  /** The value as sent (text), for consumers that parse it themselves (e.g. the CloudEvents SDK). */
  raw: string;
  timestamp: string;
  receivedAt: number;
}


/** A consumer (own group, from the beginning) that collects every message of `topics`. */
export async function collect(topics: string[]): Promise<{ received: Received[]; waitFor: (pred: (r: Received[]) => boolean, ms?: number) => Promise<void>; stop: () => Promise<void> }> {
  const kafka = new Kafka({ clientId: 'test-consumer', brokers: KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING, retry: { retries: 30, maxRetryTime: 5000 } });
  const consumer: Consumer = kafka.consumer({ groupId: `test-${randomBytes(6).toString('hex')}`, maxWaitTimeInMs: 50 });
  const received: Received[] = [];
  await consumer.connect();
  try {
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
  } catch (err) {
    // A connected consumer left behind keeps Jest from exiting (a hung CI run instead of a failed test).
    await consumer.disconnect();
    throw err;
  }
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = Array.isArray(v) ? String(v[0]) : String(v);
      const raw = message.value!.toString();
      received.push({ topic, partition, key: message.key?.toString() ?? '', headers, value: JSON.parse(raw), raw, timestamp: message.timestamp, receivedAt: Date.now() });
    },
  });
  return {
    received,
    async waitFor(pred, ms = 30_000) {
      const until = Date.now() + ms;
      while (!pred(received)) {
        if (Date.now() > until) throw new Error(`timed out after ${ms} ms with ${received.length} messages`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: () => consumer.disconnect(),
  };
}

/** Ensures topics exist before a consumer subscribes (auto creation is off on the test broker). */
export async function createTopics(topics: string[], partitions = 3): Promise<void> {
  const kafka = new Kafka({ clientId: 'test-admin', brokers: KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })) });
  } finally {
    await admin.disconnect();
  }
}

const run = promisify(execFile);
/** scripts/services.sh kafka-kill / kafka-start (the broker is shared: always start it again). */
export async function services(command: 'kafka-kill' | 'kafka-start'): Promise<void> {
  await run('bash', ['scripts/services.sh', command], { timeout: 180_000 });
}

/** Per key, the ids in first-seen order (duplicates of an id already seen are dropped). */
export function firstSeenByKey(received: Received[]): Map<string, string[]> {
  const seen = new Set<string>();
  const out = new Map<string, string[]>();
  for (const r of received) {
    if (seen.has(r.value.id)) continue;
    seen.add(r.value.id);
    const list = out.get(r.key) ?? [];
    list.push(r.value.id);
    out.set(r.key, list);
  }
  return out;
}
