import Fastify from 'fastify';
import { readFileSync } from 'node:fs';

/** The ceiling: a bare Fastify route returning the same JSON behind the same header check (the bearer must match). */
const body = readFileSync(process.env.BARE_BODY_FILE!, 'utf8');
const expected = `Bearer ${process.env.BARE_TOKEN ?? ''}`;
const app = Fastify();
app.get('/health/ready', async () => ({ status: 'ok' }));
app.get('/v1/resolve', async (req, reply) => {
  if (req.headers.authorization !== expected) return reply.code(401).send({ status: 401 });
  return reply.header('content-type', 'application/json; charset=utf-8').send(body);
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
