import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { waitFor } from '../helpers';

export interface Received {
  headers: Record<string, string>;
  body: string;
  json: { id: string; type: string; created_at: string; merchant_id: number; data: any };
  at: number;
}

/**
 * A merchant's webhook receiver on 127.0.0.1 (reached with WEBHOOK_ALLOW_PRIVATE=true): records every POST and
 * answers what `answer` says: a status (200 by default), `hang` (never answers) or a redirect.
 */
export class Receiver {
  readonly received: Received[] = [];
  answer: number | 'hang' = 200;
  private readonly server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      this.received.push({
        headers: req.headers as Record<string, string>,
        body,
        json: JSON.parse(body),
        at: Date.now(),
      });
      if (this.answer === 'hang') return;
      if (this.answer >= 300 && this.answer < 400) res.writeHead(this.answer, { location: `${this.url}/elsewhere` });
      else res.writeHead(this.answer, { 'content-type': 'text/plain' });
      res.end(this.answer === 200 ? 'ok' : `refused with ${this.answer}`);
    });
  });
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  of(type: string): Received[] {
    return this.received.filter((r) => r.json.type === type);
  }

  next(type: string, after = 0, timeoutMs = 10_000): Promise<Received> {
    return waitFor(() => this.of(type)[after], timeoutMs, 20);
  }
}

/** Verifies a delivery as a receiver would, with the standardwebhooks package; throws when it does not verify. */
export const verify = (secret: string, r: Received) =>
  new Webhook(secret).verify(r.body, {
    'webhook-id': r.headers['webhook-id'],
    'webhook-timestamp': r.headers['webhook-timestamp'],
    'webhook-signature': r.headers['webhook-signature'],
  });
