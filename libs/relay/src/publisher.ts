import { Kafka, logLevel, type Producer, type Admin } from 'kafkajs';
import { CLOUDEVENT_CONTENT_TYPE, PROMOTION_EVENT_TYPES, type CloudEvent } from './cloudevents.js';

export interface OutboundMessage {
  topic: string;
  /** Model name: one key → one partition → per-model order. */
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** Where the relay hands messages; resolves only once the broker acknowledged all of them. */
export interface Publisher {
  publish(messages: readonly OutboundMessage[]): Promise<void>;
  close(): Promise<void>;
}

export interface RelayTopics {
  /** Every lifecycle event. */
  events: string;
  /** Promotions, archives, alias moves, rollbacks. */
  promotions: string;
}
export const DEFAULT_TOPICS: RelayTopics = { events: 'model-ledger.events', promotions: 'model-ledger.promotions' };

/**
 * CloudEvents Kafka protocol binding content mode.
 * - `structured`: the value is the whole CloudEvent JSON, `content-type: application/cloudevents+json`,
 *   and no `ce_` header at all (the SDKs read any `ce_` header as binary mode).
 * - `binary`: the value is `data` alone (`content-type: application/json`), every other attribute
 *   is a `ce_<name>` header — for consumers that route on headers without parsing the value.
 * Both keep the W3C `traceparent` header of the request that caused the event.
 */
export type CloudEventsMode = 'structured' | 'binary';
export const CLOUDEVENTS_MODES: readonly CloudEventsMode[] = ['structured', 'binary'];

/** Kafka value and headers of one CloudEvent in the given content mode. */
export function encodeCloudEvent(ce: CloudEvent, mode: CloudEventsMode = 'structured'): { value: string; headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  if (mode === 'structured') {
    headers['content-type'] = CLOUDEVENT_CONTENT_TYPE;
    if (ce.traceparent) headers.traceparent = ce.traceparent;
    return { value: JSON.stringify(ce), headers };
  }
  const { data, datacontenttype, ...attributes } = ce;
  headers['content-type'] = datacontenttype;
  for (const [name, v] of Object.entries(attributes)) if (v !== undefined) headers[`ce_${name}`] = String(v);
  if (ce.traceparent) headers.traceparent = ce.traceparent;
  return { value: JSON.stringify(data), headers };
}

/** Routes one CloudEvent: to the events topic, and to the promotions topic when it changes what is served. */
export function toMessages(ce: CloudEvent, storedType: string, topics: RelayTopics, mode: CloudEventsMode = 'structured'): OutboundMessage[] {
  const { value, headers } = encodeCloudEvent(ce, mode);
  const out: OutboundMessage[] = [{ topic: topics.events, key: ce.data.model, value, headers }];
  if (PROMOTION_EVENT_TYPES.has(storedType)) out.push({ topic: topics.promotions, key: ce.data.model, value, headers });
  return out;
}

export interface KafkaPublisherOptions {
  brokers: string[];
  clientId: string;
  topics: RelayTopics;
  partitions: number;
  replicationFactor: number;
  /** Per-send retries inside kafkajs before the relay's own backoff takes over. */
  sendRetries?: number;
  log?: (level: 'error' | 'warn' | 'info', message: string) => void;
}

/**
 * kafkajs producer with `acks: -1` and `idempotent: true`. A failed send throws and drops the
 * producer: the relay re-sends the whole batch from its checkpoint with a fresh producer, so a
 * broker outage yields at worst duplicates of the same CloudEvent id, never a gap or reordering.
 */
export class KafkaPublisher implements Publisher {
  private readonly kafka: Kafka;
  private producer?: Producer;
  private connecting?: Promise<Producer>;
  private topicsReady = false;

  constructor(private readonly options: KafkaPublisherOptions) {
    const log = options.log;
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      connectionTimeout: 3000,
      requestTimeout: 10000,
      retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 },
      logLevel: logLevel.ERROR,
      logCreator: () => (entry) => {
        if (!log) return;
        // kafkajs logs every retried connection error; the relay reports failed batches itself.
        log('info', `kafkajs ${entry.namespace}: ${entry.log.message}`);
      },
    });
  }

  /** Creates missing topics with the configured partition count (existing ones are left as they are). */
  async ensureTopics(admin?: Admin): Promise<void> {
    const a = admin ?? this.kafka.admin();
    if (!admin) await a.connect();
    try {
      const existing = new Set(await a.listTopics());
      const missing = [...new Set([this.options.topics.events, this.options.topics.promotions])].filter((t) => !existing.has(t));
      if (missing.length) {
        await a.createTopics({
          waitForLeaders: true,
          topics: missing.map((topic) => ({ topic, numPartitions: this.options.partitions, replicationFactor: this.options.replicationFactor })),
        });
      }
      this.topicsReady = true;
    } finally {
      if (!admin) await a.disconnect().catch(() => undefined);
    }
  }

  async publish(messages: readonly OutboundMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const producer = await this.connected();
    const byTopic = new Map<string, { key: string; value: string; headers: Record<string, string> }[]>();
    for (const m of messages) {
      let list = byTopic.get(m.topic);
      if (!list) byTopic.set(m.topic, (list = []));
      list.push({ key: m.key, value: m.value, headers: m.headers });
    }
    try {
      await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })) });
    } catch (err) {
      await this.reset();
      throw err;
    }
  }

  private connected(): Promise<Producer> {
    if (this.producer) return Promise.resolve(this.producer);
    this.connecting ??= (async () => {
      try {
        if (!this.topicsReady) await this.ensureTopics();
        const producer = this.kafka.producer({
          idempotent: true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
          retry: { retries: this.options.sendRetries ?? 5, initialRetryTime: 200, maxRetryTime: 2000 },
        });
        await producer.connect();
        this.producer = producer;
        return producer;
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }

  private async reset(): Promise<void> {
    const p = this.producer;
    this.producer = undefined;
    await p?.disconnect().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.connecting?.catch(() => undefined);
    await this.reset();
  }
}
