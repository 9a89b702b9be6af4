import juice from 'juice';
import { inlineCss, renderMessage } from '../../domain/message-render.ts';
import { DEFAULT_LOCALES, DEFAULT_TEMPLATES } from '../../domain/message-templates.defaults.ts';
import { checkTemplate, isPartnerMessage, MESSAGE_KEYS, type TemplateSource } from '../../domain/message-templates.ts';

const source = (html: string, extra: Partial<TemplateSource> = {}): TemplateSource => ({
  senderName: 'Shop',
  subject: 'Hello',
  preheader: null,
  html,
  text: null,
  ...extra,
});

const customer = {
  name: 'Li Lei',
  firstName: 'Li',
  email: 'li@example.com',
  externalId: 'c-1',
  stage: 'activation',
  segment: null,
  locale: 'zh-CN',
};
const data = {
  customer,
  platform: { name: '拾光商城', url: 'https://shop.example.com' },
  links: { unsubscribe: 'https://ops.example.com/unsubscribe/abc' },
  coupon: { code: 'BACK-7Q2X', validUntil: '2026-12-31T20:00:00Z' },
};

test('every shipped template, in both languages, passes the check it would be saved with', () => {
  for (const key of MESSAGE_KEYS) {
    for (const locale of DEFAULT_LOCALES)
      expect([key, locale, checkTemplate(key, DEFAULT_TEMPLATES[key][locale])]).toEqual([key, locale, []]);
  }
});

test('a field the message does not offer is refused naming it, where it is, and what the message offers', () => {
  const problems = checkTemplate(
    'welcome',
    source('<p>Hi {{ customer.name }}</p>\n<p>{{ customer.nickname }}</p>', { subject: '{{ coupon.code }}' }),
  );
  expect(problems).toEqual([
    {
      part: 'subject',
      message: expect.stringMatching(
        /^unknown field "coupon.code" at line 1, column 4: welcome offers customer.name, .*links.unsubscribe$/,
      ),
    },
    { part: 'html', message: expect.stringContaining('unknown field "customer.nickname" at line 2, column 7') },
  ]);
  // The win-back offers the coupon.
  expect(checkTemplate('winBack', source('{{ coupon.code }} {{ coupon.validUntil | format_date }}'))).toEqual([]);
});

test("a broken expression or an unknown filter is refused with Liquid's own reason", () => {
  expect(checkTemplate('tips', source('{% if customer.name %}open'))).toEqual([
    { part: 'html', message: expect.stringContaining('tag {% if customer.name %} not closed') },
  ]);
  expect(checkTemplate('tips', source('{{ customer.name | shout }}'))).toEqual([
    { part: 'html', message: expect.stringContaining('undefined filter: shout') },
  ]);
  expect(checkTemplate('tips', source('{{ customer.name ', { subject: ' ' }))).toEqual([
    { part: 'html', message: expect.stringContaining('output "{{ customer.name " not closed') },
    { part: 'subject', message: 'the subject is empty' },
  ]);
  // Loop variables and locals are not fields.
  expect(
    checkTemplate('tips', source('{% assign n = customer.name %}{% for i in (1..3) %}{{ forloop.index }}{{ n }}{% endfor %}')),
  ).toEqual([]);
});

test('the zh-CN win-back: escaped HTML in a responsive layout with its CSS inlined, the preheader, dates for the customer, a text part, the unsubscribe link', () => {
  const hostile = { ...data, customer: { ...customer, name: '<img src=x onerror=alert(1)>' } };
  const mail = renderMessage('winBack', DEFAULT_TEMPLATES.winBack['zh-CN'], hostile, { locale: 'zh-CN', timeZone: 'Asia/Shanghai' });
  expect(mail.subject).toBe('好久不见，送您一张优惠券');
  expect(mail.senderName).toBe('拾光商城团队');
  // 20:00 UTC on 31 December is 1 January in Shanghai.
  expect(mail.preheader).toBe('优惠码 BACK-7Q2X，2027年1月1日前有效');
  expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt;，您好');
  expect(mail.html).not.toContain('<img src=x');
  expect(mail.html).toContain('有效期至 2027年1月1日');
  expect(mail.html).toMatch(/<html lang="zh-CN">/);
  expect(mail.html).toMatch(/<p style="margin: 0 0 16px;?">/);
  expect(mail.html).toContain('@media (max-width: 620px)');
  expect(mail.html).toContain('href="https://ops.example.com/unsubscribe/abc"');
  expect(mail.text).toContain('BACK-7Q2X');
  expect(mail.text).toContain('<img src=x onerror=alert(1)>，您好');
  expect(mail.text).toMatch(/点此退订: https:\/\/ops\.example\.com\/unsubscribe\/abc\n$/);
});

test('the English win-back in New York: the date as the customer lives it; a written text part is used as written', () => {
  const mail = renderMessage('winBack', DEFAULT_TEMPLATES.winBack.en, data, { locale: 'en', timeZone: 'America/New_York' });
  expect(mail.preheader).toBe('Code BACK-7Q2X, valid until December 31, 2026');
  expect(mail.html).toContain('<html lang="en">');
  const written = renderMessage('tips', source('<p>x</p>', { text: 'Hi {{ customer.firstName }} & co' }), data, {
    locale: 'en',
    timeZone: 'UTC',
  });
  expect(written.text.startsWith('Hi Li & co\n')).toBe(true);
  expect(written.text).toContain('Unsubscribe from these emails: https://ops.example.com/unsubscribe/abc');
  // Not marketing: no unsubscribe footer.
  const confirmation = renderMessage(
    'unsubscribeConfirmation',
    DEFAULT_TEMPLATES.unsubscribeConfirmation.en,
    { ...data, links: { resubscribe: 'https://ops.example.com/resubscribe/abc' } },
    { locale: 'en', timeZone: 'UTC' },
  );
  expect(confirmation.text).not.toContain('Unsubscribe from these emails');
  expect(confirmation.html).toContain('href="https://ops.example.com/resubscribe/abc"');
});

test("money and numbers in the customer's locale", () => {
  const mail = renderMessage('tips', source('{{ 1234.5 | format_money: "CNY" }} / {{ 1234567 | format_number }}'), data, {
    locale: 'zh-CN',
    timeZone: 'Asia/Shanghai',
  });
  expect(mail.text.startsWith('¥1,234.50 / 1,234,567')).toBe(true);
  const en = renderMessage('tips', source('{{ 9.9 | format_money: "USD" }}'), data, { locale: 'en', timeZone: 'UTC' });
  expect(en.text.startsWith('$9.90')).toBe(true);
});

test("a template that would run away is stopped by the engine's limits, not left to stall a worker", () => {
  const started = Date.now();
  expect(() =>
    renderMessage('tips', source('{% for i in (1..100000000) %}{{ i }}{% endfor %}'), data, { locale: 'en', timeZone: 'UTC' }),
  ).toThrow();
  expect(Date.now() - started).toBeLessThan(5_000);
});

test('without a site for the brand, the shipped messages leave their buttons out rather than link nowhere', () => {
  const noSite = { ...data, platform: { name: 'Shop', url: null } };
  // (A partner's messages always have their signing link, the unsubscribe confirmation its way back.)
  for (const key of MESSAGE_KEYS.filter((k) => !isPartnerMessage(k) && k !== 'unsubscribeConfirmation')) {
    for (const locale of DEFAULT_LOCALES) {
      const mail = renderMessage(key, DEFAULT_TEMPLATES[key][locale], noSite, { locale, timeZone: 'UTC' });
      // An empty href comes out of the CSS inliner as a bare attribute.
      expect([key, locale, /<a href(=""|[ >])/.test(mail.html)]).toEqual([key, locale, false]);
    }
  }
});

test("the CSS is inlined once per message, and each recipient's mail is what juice makes of their own HTML", () => {
  const page = (name: string, link: string) =>
    `<html><head><style>a { color: #0b5cad; } p { margin: 0; } .${name} { color: red; }</style></head><body>` +
    `<p class="${name}" style="font-family: ${name}">Hi ${name}, &zwnj; ${name}</p><${name}>x</${name}>` +
    `<a href="${link}" title="${name}">${link}</a><!-- ${name} --><style>b { x: 1 }</style></body></html>`;
  const names = ['Li Lei', 'Li', 'a', 'p', 'center', 'color', 'margin', 'zwnj', "O'Brien", 'x & y', '张三', 'Segoe UI', 'href', 'style'];
  for (const name of names) {
    for (const link of ['https://ops.example.com/unsubscribe/abc', 'https://ops.example.com/u/' + name.length]) {
      const html = page(name, link);
      const expected = juice(html, { removeStyleTags: false, preserveMediaQueries: true });
      // Twice: the second is the stored inlining with this recipient's values put back.
      expect([name, inlineCss(html, [name, link])]).toEqual([name, expected]);
      expect([name, inlineCss(html, [name, link])]).toEqual([name, expected]);
    }
  }
});
