import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { startMailCatcher, type CaughtMessage, type MailCatcher } from '../../start/mail-catcher.ts';

describe('mail catcher', () => {
  let dir: string;
  let catcher: MailCatcher;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'opsflow-mail-'));
    catcher = await startMailCatcher({ smtpPort: 0, httpPort: 0, dir });
  });

  afterEach(async () => {
    await catcher.close();
    await rm(dir, { recursive: true, force: true });
  });

  const send = (catcherUrl: string, mail: SendMailOptions) =>
    nodemailer.createTransport(catcherUrl).sendMail({ from: 'opsflow <opsflow@localhost>', ...mail });

  it('listens on the ephemeral ports it was given', () => {
    expect(catcher.smtpUrl).toMatch(/^smtp:\/\/127\.0\.0\.1:[1-9]\d*$/);
    expect(catcher.webUrl).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
  });

  it('catches mail with envelope recipients, Message-ID and both bodies', async () => {
    const arrival = catcher.waitFor((m) => m.subject === 'Second');
    const first = await send(catcher.smtpUrl, { to: 'ana@example.com', subject: 'First', text: 'hello ana' });
    const second = await send(catcher.smtpUrl, {
      to: 'ben@example.com',
      bcc: 'audit@example.com',
      subject: 'Second',
      text: 'hello ben',
      html: '<p>hello <b>ben</b></p>',
      headers: { 'X-Opsflow-Key': 'content-review:42/notify' },
    });

    const caught = await arrival;
    expect(caught.messageId).toBe(second.messageId);
    expect(caught.to).toEqual(['ben@example.com', 'audit@example.com']); // Bcc is only in the envelope
    expect(caught.from).toBe('opsflow <opsflow@localhost>');
    expect(caught.text.trim()).toBe('hello ben');
    expect(caught.html).toContain('<b>ben</b>');
    expect(caught.headers['x-opsflow-key']).toBe('content-review:42/notify');

    expect(catcher.messages().map((m) => m.messageId)).toEqual([first.messageId, second.messageId]);
    expect(catcher.messages()[0]!.html).toBeNull();
  });

  it('resolves waitFor with a message that arrived before the wait began', async () => {
    await send(catcher.smtpUrl, { to: 'ana@example.com', subject: 'Early', text: 'x' });
    await expect(catcher.waitFor((m) => m.subject === 'Early', 100)).resolves.toMatchObject({ subject: 'Early' });
  });

  it('rejects waitFor with the caught subjects when nothing matches in time', async () => {
    await send(catcher.smtpUrl, { to: 'ana@example.com', subject: 'Unrelated', text: 'x' });
    await expect(catcher.waitFor((m) => m.subject === 'Never', 200)).rejects.toThrow(
      /no matching message within 200ms.*"Unrelated" to ana@example.com/,
    );
  });

  it('serves the messages as JSON and HTML, and clears them over HTTP', async () => {
    await send(catcher.smtpUrl, { to: 'ana@example.com', subject: 'Over <http>', text: 'body' });
    await catcher.waitFor((m) => m.subject === 'Over <http>');

    const list = (await (await fetch(`${catcher.webUrl}/api/messages`)).json()) as CaughtMessage[];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ subject: 'Over <http>', to: ['ana@example.com'] });

    const one = await fetch(`${catcher.webUrl}/api/messages/${list[0]!.id}`);
    expect(await one.json()).toMatchObject({ id: list[0]!.id, text: expect.stringContaining('body') });
    expect((await fetch(`${catcher.webUrl}/api/messages/nope`)).status).toBe(404);

    const index = await (await fetch(`${catcher.webUrl}/`)).text();
    expect(index).toContain('Over &lt;http&gt;');
    expect(index).not.toContain('Over <http>');

    expect((await fetch(`${catcher.webUrl}/api/messages`, { method: 'DELETE' })).status).toBe(204);
    expect(catcher.messages()).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('keeps messages across a restart on the same directory', async () => {
    const sent = await send(catcher.smtpUrl, { to: ['ana@example.com', 'ben@example.com'], subject: 'Kept', text: 'x' });
    await catcher.waitFor((m) => m.subject === 'Kept');
    const before = catcher.messages()[0]!;
    await catcher.close();

    catcher = await startMailCatcher({ smtpPort: 0, dir });
    expect(catcher.webUrl).toBeNull();
    expect(catcher.messages()).toEqual([before]);
    expect(before).toMatchObject({ messageId: sent.messageId, to: ['ana@example.com', 'ben@example.com'] });

    await send(catcher.smtpUrl, { to: 'ana@example.com', subject: 'After restart', text: 'x' });
    await catcher.waitFor((m) => m.subject === 'After restart');
    expect(catcher.messages().map((m) => m.subject)).toEqual(['Kept', 'After restart']);
  });
});
