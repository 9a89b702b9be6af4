import nodemailer, { type Transporter } from 'nodemailer';

/**
 * A pool of SMTP connections (campaign sends go out several at a time, and a connection per message would cost a
 * handshake each). Timeouts keep one send well inside the send profile's one-minute start-to-close timeout (nodemailer's
 * own default socket timeout is ten minutes), so an attempt Temporal has given up on is not still talking to the server.
 */
export const SMTP_CONNECTIONS = 16;

export function createMailer(smtpUrl: string): Transporter {
  return nodemailer.createTransport({
    url: smtpUrl,
    pool: true,
    maxConnections: SMTP_CONNECTIONS,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
}
