/**
 * Test helpers: a real SMTP server process (`smtp-server`) on loopback that records every
 * message, and a small MIME reader for what nodemailer sends (headers, text and HTML parts in
 * quoted-printable, base64 or 7bit).
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  envelope: { from: string; to: string[] };
  raw: string;
}

export class TestSmtpServer {
  readonly mails: ReceivedMail[] = [];
  /** Decides whether to refuse a message (SMTP 451: try again later); default accept. */
  refuse: () => boolean = () => false;
  attempts = 0;
  private server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        this.attempts += 1;
        if (this.refuse()) {
          const err = Object.assign(new Error('mailbox busy, try later'), { responseCode: 451 });
          callback(err);
          return;
        }
        this.mails.push({
          envelope: {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
          },
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  url = '';

  async start(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server.server, 'listening');
    this.url = `smtp://127.0.0.1:${(this.server.server.address() as AddressInfo).port}`;
    return this;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function decodeQuotedPrintable(s: string): string {
  const bytes = s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => `%${h}`);
  // Percent-encoded bytes, then the rest as-is: decode byte-wise to keep UTF-8 sequences whole.
  return decodeURIComponent(bytes.replace(/%(?![0-9A-F]{2})/gi, '%25'));
}

function decodeWords(s: string): string {
  return s.replace(/=\?utf-8\?([QB])\?([^?]*)\?=/gi, (_, enc: string, text: string) =>
    enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : decodeQuotedPrintable(text.replace(/_/g, ' ')),
  ).replace(/\?=\s+=\?/g, '');
}

export interface ParsedPart { headers: Record<string, string>; body: string }

function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = decodeWords(line.slice(i + 1).trim());
  }
  return headers;
}

function parsePart(raw: string): ParsedPart {
  const split = raw.search(/\r?\n\r?\n/);
  const headers = parseHeaders(raw.slice(0, split));
  let body = raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const enc = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  if (enc === 'quoted-printable') body = decodeQuotedPrintable(body);
  else if (enc === 'base64') body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  // SMTP carries CRLF line ends; compare with what the template said.
  return { headers, body: body.replace(/\r\n/g, '\n') };
}

/** The top-level headers and the text/plain and text/html bodies of a message. */
export function parseMail(raw: string): { headers: Record<string, string>; text: string | null; html: string | null } {
  const top = parsePart(raw);
  const boundary = /boundary="?([^";]+)"?/i.exec(top.headers['content-type'] ?? '')?.[1];
  const parts = boundary
    ? raw.split(`--${boundary}`).slice(1, -1).map((p) => parsePart(p.replace(/^\r?\n/, '')))
    : [top];
  const of = (type: string) => parts.find((p) => (p.headers['content-type'] ?? '').startsWith(type))?.body.replace(/\n$/, '') ?? null;
  return { headers: top.headers, text: of('text/plain'), html: of('text/html') };
}
