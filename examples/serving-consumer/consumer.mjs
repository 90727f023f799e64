#!/usr/bin/env node
// A tiny "serving" consumer: reloads a model when its promotion event arrives.
//
// Kafka (the relay publishes to model-ledger.promotions, key = model name):
//   KAFKA_BROKERS=127.0.0.1:9092 MODEL=churn node examples/serving-consumer/consumer.mjs
// Server-Sent Events (embedded mode, no Kafka; resumes with Last-Event-ID):
//   LEDGER_URL=http://localhost:8080 LEDGER_TOKEN=... MODEL=churn node examples/serving-consumer/consumer.mjs
//
// Delivery is at least once, so it dedupes by CloudEvent id (the event id). A real service
// would keep the ids it acted on (or the last position) in durable storage.
import { Kafka, logLevel } from 'kafkajs';

const MODEL = process.env.MODEL ?? 'churn';
const PROMOTED = 'dev.model-ledger.version.promoted.v1';
const seen = new Set();
const SEEN_MAX = 10_000;

function onCloudEvent(ce) {
  if (ce.type !== PROMOTED || ce.data?.model !== MODEL) return;
  if (seen.has(ce.id)) {
    console.log(`duplicate ${ce.id} ignored`);
    return;
  }
  seen.add(ce.id);
  if (seen.size > SEEN_MAX) seen.delete(seen.values().next().value);
  const { version, artifact } = ce.data;
  // Pin the digest: load exactly the bytes that were approved, whatever the URI serves today.
  console.log(`reloading ${MODEL} v${version} from ${artifact?.uri} (${artifact?.digest})`);
}

async function fromKafka() {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  const kafka = new Kafka({ clientId: `serving-${MODEL}`, brokers: process.env.KAFKA_BROKERS.split(','), logLevel: logLevel.WARN });
  const consumer = kafka.consumer({ groupId: process.env.GROUP_ID ?? `serving-${MODEL}` });
  await consumer.connect();
  await consumer.subscribe({ topic: process.env.TOPIC ?? 'model-ledger.promotions', fromBeginning: process.env.FROM_BEGINNING === '1' });
  await consumer.run({ eachMessage: async ({ message }) => onCloudEvent(JSON.parse(message.value.toString())) });
  console.log(`listening for ${MODEL} promotions on Kafka`);
  const stop = async () => {
    await consumer.disconnect();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

async function fromSse() {
  let lastEventId;
  for (;;) {
    try {
      const url = `${process.env.LEDGER_URL}/v1/events/stream?model=${encodeURIComponent(MODEL)}&types=${PROMOTED}`;
      const headers = { authorization: `Bearer ${process.env.LEDGER_TOKEN}`, accept: 'text/event-stream' };
      if (lastEventId) headers['last-event-id'] = lastEventId;
      const res = await fetch(url, { headers });
      if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
      console.log(`listening for ${MODEL} promotions over SSE${lastEventId ? ` from position ${lastEventId}` : ''}`);
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const id = frame.match(/^id: ?(.*)$/m)?.[1];
          const data = frame.match(/^data: ?(.*)$/m)?.[1];
          if (data) onCloudEvent(JSON.parse(data));
          if (id) lastEventId = id;
        }
      }
    } catch (err) {
      console.error(`stream error: ${err.message}; reconnecting`);
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

if (process.env.KAFKA_BROKERS) await fromKafka();
else if (process.env.LEDGER_URL) await fromSse();
else {
  console.error('set KAFKA_BROKERS (Kafka) or LEDGER_URL + LEDGER_TOKEN (SSE)');
  process.exit(2);
}
