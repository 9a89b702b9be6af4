// Emails' links are clickable in their HTML: the page email's link opens the incident in the console in one click.
import { compose, render } from '../../activities/templates.ts';

test('links become anchors, escaped, without the punctuation that follows them; the rest stays escaped text', () => {
  const { html, text } = compose('s', [
    'Open it: http://opsflow.test/console/incidents/42.',
    ['Amend it (PATCH http://opsflow.test/contracts/7?a=1&b=2) and <b>submit</b>'],
  ]);
  expect(html).toContain(
    '<p>Open it: <a href="http://opsflow.test/console/incidents/42">http://opsflow.test/console/incidents/42</a>.</p>',
  );
  expect(html).toContain(
    '<li>Amend it (PATCH <a href="http://opsflow.test/contracts/7?a=1&amp;b=2">http://opsflow.test/contracts/7?a=1&amp;b=2</a>) and &lt;b&gt;submit&lt;/b&gt;</li>',
  );
  expect(text).toContain('Open it: http://opsflow.test/console/incidents/42.');
});

test('the page email links to the incident in the console, the API ack named for scripts', () => {
  const mail = render(
    'incidentPaged',
    {
      incidentId: 'abc',
      title: 'Checkout down',
      severity: 'P1',
      service: 'checkout',
      level: 1,
      pass: 0,
      description: null,
      triggeredAt: '2026-12-03T10:00:00.000Z',
      ackDueAt: '2026-12-03T10:05:00.000Z',
    },
    { publicUrl: 'https://ops.example.com' },
  );
  expect(mail.text).toContain('Open it and acknowledge: https://ops.example.com/console/incidents/abc\n');
  expect(mail.text).toContain('With an API token: POST https://ops.example.com/incidents/abc/ack');
  expect(mail.html).toContain('<a href="https://ops.example.com/console/incidents/abc">');
});
