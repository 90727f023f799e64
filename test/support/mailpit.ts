import { waitFor } from './links.js';

/** Mailpit's HTTP API (scripts/services.sh up mailpit prints MAILPIT_API_URL / MAILPIT_SMTP_URL). */
export const MAILPIT_API_URL = process.env.MAILPIT_API_URL ?? 'http://127.0.0.1:8025';
export const MAILPIT_SMTP_URL = process.env.MAILPIT_SMTP_URL ?? 'smtp://127.0.0.1:1025';

export interface MailSummary {
  ID: string;
  Subject: string;
  To: { Name: string; Address: string }[];
  Created: string;
}

export async function searchMail(query: string): Promise<MailSummary[]> {
  const res = await fetch(`${MAILPIT_API_URL}/api/v1/search?query=${encodeURIComponent(query)}&limit=100`);
  if (!res.ok) throw new Error(`mailpit search: ${res.status}`);
  return ((await res.json()) as { messages: MailSummary[] }).messages;
}

export async function readMail(id: string): Promise<{ Subject: string; Text: string; HTML: string; To: { Address: string }[] }> {
  const res = await fetch(`${MAILPIT_API_URL}/api/v1/message/${id}`);
  if (!res.ok) throw new Error(`mailpit message: ${res.status}`);
  return res.json() as never;
}

/** Waits for the `n`-th message to `address` whose subject matches, and returns it with the approval link in it. */
export async function waitForMail(address: string, subject: RegExp, n = 1, timeoutMs = 15_000) {
  const summary = await waitFor(`mail ${n} to ${address} matching ${subject}`, async () => {
    const found = (await searchMail(`to:"${address}"`)).filter((m) => subject.test(m.Subject)).sort((a, b) => a.Created.localeCompare(b.Created));
    return found.length >= n ? found[n - 1] : undefined;
  }, timeoutMs);
  const mail = await readMail(summary.ID);
  const link = /https?:\/\/\S+\/approve\/[\w-]+\.[\w-]+\.[\w-]+/.exec(mail.Text)?.[0];
  return { ...mail, link, token: link?.slice(link.lastIndexOf('/') + 1) };
}
