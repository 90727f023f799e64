import { createServer, type Server } from 'node:http';
import { verifyWebhook } from '#notifications';

export interface ReceivedWebhook {
  id: string;
  timestamp: number;
  verified: boolean;
  reason?: string;
  body: any;
  raw: string;
}

/**
 * A real HTTP receiver on loopback that verifies every delivery's Standard Webhooks signature
 * with the shared secret, as a production receiver would. `down()` makes it answer 503.
 */
export async function startWebhookReceiver(secret: string) {
  const received: ReceivedWebhook[] = [];
  let failing = false;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      if (failing) {
        res.writeHead(503).end();
        return;
      }
      const v = verifyWebhook(secret, req.headers, raw);
      received.push({ id: String(req.headers['webhook-id']), timestamp: Number(req.headers['webhook-timestamp']), verified: v.ok, ...(v.ok ? {} : { reason: v.reason }), body: JSON.parse(raw), raw });
      res.writeHead(v.ok ? 204 : 401).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hooks/ledger`,
    received,
    down(on = true) {
      failing = on;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
