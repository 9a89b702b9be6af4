import nodemailer, { type Transporter } from 'nodemailer';

export function createMailer(smtpUrl: string): Transporter {
  return nodemailer.createTransport(smtpUrl);
}
