import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Mailer, OutgoingEmail } from '../../services/notification-ports.js';
import { CONTENT_ACCESS, mailOptionsOf } from './smtp-mailer.js';

export interface FileMailerOptions {
  directory: string;
  log?: { info(details: object, message?: string): void };
}

/** Keeps a file name well under the 255 bytes most file systems allow. */
const MAX_ID_LENGTH = 120;

/** The message id as a file name part: `<booking-7.confirmed@x>` → `booking-7.confirmed_x`. */
function fileNamePartOf(messageId: string): string {
  const safe = messageId
    .replace(/^<|>$/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .slice(0, MAX_ID_LENGTH);
  return safe || 'message';
}

/**
 * Development mail: each message becomes an RFC 822 `.eml` file (CRLF line ends, as SMTP carries
 * it) that a mail client opens, named so that a directory listing is in sending order.
 */
export function fileMailer(options: FileMailerOptions): Mailer {
  const directory = path.resolve(options.directory);
  const composer = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'windows',
    ...CONTENT_ACCESS,
  });

  return {
    description: `files in ${options.directory}`,

    async send(email: OutgoingEmail): Promise<void> {
      const composed = await composer.sendMail(mailOptionsOf(email));
      if (!Buffer.isBuffer(composed.message)) throw new Error('nodemailer did not buffer the message');
      // Colons are not allowed in Windows file names.
      const time = new Date().toISOString().replaceAll(':', '-');
      const file = path.join(directory, `${time}-${fileNamePartOf(email.messageId)}.eml`);
      await mkdir(directory, { recursive: true });
      await writeFile(file, composed.message);
      options.log?.info({ to: email.to.address, subject: email.subject, file }, 'Email written to a file');
    },

    async close(): Promise<void> {
      composer.close();
    },
  };
}
