import Fastify from 'fastify';
import { readFileSync } from 'node:fs';

/** The baseline: a bare Fastify route returning the same JSON the resolve endpoint returns. */
const body = readFileSync(process.env.BARE_BODY_FILE!, 'utf8');
const app = Fastify();
app.get('/health/ready', async () => ({ status: 'ok' }));
app.get('/v1/resolve', async (_req, reply) => reply.header('content-type', 'application/json; charset=utf-8').send(body));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
