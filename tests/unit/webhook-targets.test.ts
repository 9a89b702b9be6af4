import { classifyAddress, isAllowedHost, parseAllowedHost, refusedAddress, refusedTarget } from '../../domain/webhook-targets.ts';

const refused = (url: string, allowed: string[] = []) => refusedTarget(new URL(url), allowed);

test.each([
  ['http://127.0.0.1/hook', 'loopback'],
  ['http://127.8.9.10/', 'loopback'],
  ['http://0x7f000001/', 'loopback'], // WHATWG URL reads hex, decimal, octal and short forms as 127.0.0.1
  ['http://2130706433/', 'loopback'],
  ['http://0177.0.0.1/', 'loopback'],
  ['http://127.1:8080/', 'loopback'],
  ['http://[::1]/', 'loopback'],
  ['http://[0:0:0:0:0:0:0:1]:9000/', 'loopback'],
  ['http://[::ffff:127.0.0.1]/', 'loopback'],
  ['http://[::ffff:7f00:1]/', 'loopback'],
  ['http://[64:ff9b::127.0.0.1]/', 'loopback'], // NAT64
  ['http://[2002:7f00:1::]/', 'loopback'], // 6to4
  ['http://localhost/', 'loopback'],
  ['http://LOCALHOST./', 'loopback'],
  ['http://api.localhost:3000/', 'loopback'],
  ['http://169.254.169.254/latest/meta-data/', 'cloud metadata'],
  ['http://[::ffff:169.254.169.254]/', 'cloud metadata'],
  ['http://[fd00:ec2::254]/', 'cloud metadata'],
  ['http://metadata.google.internal/computeMetadata/v1/', 'cloud metadata'],
  ['http://100.100.100.200/', 'cloud metadata'],
  ['http://169.254.1.1/', 'link-local'],
  ['http://[fe80::1]/', 'link-local'],
  ['http://10.1.2.3/', 'private'],
  ['http://172.16.0.1/', 'private'],
  ['http://172.31.255.255/', 'private'],
  ['http://192.168.1.1/', 'private'],
  ['http://[::ffff:192.168.1.1]/', 'private'],
  ['http://100.64.0.1/', 'shared (CGNAT)'],
  ['http://100.127.255.254/', 'shared (CGNAT)'],
  ['http://0.0.0.0/', 'unspecified'],
  ['http://0/', 'unspecified'],
  ['http://[::]/', 'unspecified'],
  ['http://[fc00::1]/', 'unique-local'],
  ['http://[fd12:3456::1]/', 'unique-local'],
  ['http://224.0.0.1/', 'multicast'],
  ['http://[ff02::1]/', 'multicast'],
  ['http://255.255.255.255/', 'broadcast'],
  ['http://240.0.0.1/', 'reserved'],
  ['http://192.0.2.10/', 'documentation'],
  ['http://[2001:db8::1]/', 'documentation'],
  ['http://198.18.0.1/', 'benchmarking'],
  ['http://[::127.0.0.1]/', 'reserved'], // IPv4-compatible
])('%s is refused as %s', (url, kind) => {
  expect(refused(url)).toMatch(
    new RegExp(`^the webhook target \\S+ is an? ${kind.replace(/[()]/g, '\\$&')} (address|name); .*WEBHOOK_ALLOWED_HOSTS`),
  );
});

test.each([
  'https://hooks.example.com/x',
  'http://8.8.8.8/',
  'http://172.32.0.1/',
  'http://100.128.0.1/',
  'http://192.169.0.1/',
  'http://[2606:4700:4700::1111]/',
  'http://[::ffff:8.8.8.8]/',
  'http://[64:ff9b::8.8.8.8]/',
  'http://11.0.0.1/',
  'http://localhost.example.com/',
  'http://metadata.example.com/',
])('%s is not refused before DNS', (url) => {
  expect(refused(url)).toBeUndefined();
});

test('a resolved address is judged as the address connected to', () => {
  const url = new URL('https://hooks.example.test/x');
  expect(refusedAddress(url, '127.0.0.1', [])).toBe(
    'the webhook target hooks.example.test resolves to a loopback address 127.0.0.1; webhooks go to public addresses only; list the host in WEBHOOK_ALLOWED_HOSTS to allow it',
  );
  expect(refusedAddress(url, '::ffff:10.0.0.1', [])).toMatch(/private address ::ffff:10\.0\.0\.1/);
  expect(refusedAddress(url, 'fe80::1%eth0', [])).toMatch(/link-local/);
  expect(refusedAddress(url, 'not-an-address', [])).toMatch(/reserved/);
  expect(refusedAddress(url, '93.184.215.14', [])).toBeUndefined();
  expect(refusedAddress(url, '127.0.0.1', ['hooks.example.test'])).toBeUndefined();
  expect(classifyAddress('2606:4700:4700::1111')).toBeUndefined();
});

test('WEBHOOK_ALLOWED_HOSTS entries match the URL host exactly, and its port when they name one', () => {
  expect(refused('http://127.0.0.1:9099/hook', ['127.0.0.1:9099'])).toBeUndefined();
  expect(refused('http://127.0.0.1:9098/hook', ['127.0.0.1:9099'])).toMatch(/loopback/);
  expect(refused('http://127.0.0.1:1234/', ['127.0.0.1'])).toBeUndefined();
  expect(refused('http://127.0.0.2/', ['127.0.0.1'])).toMatch(/loopback/);
  expect(refused('http://0x7f000001:9099/', ['127.0.0.1:9099'])).toBeUndefined(); // the same address, normalized
  expect(refused('http://localhost/', ['localhost:80'])).toBeUndefined();
  expect(refused('https://localhost/', ['localhost:80'])).toMatch(/loopback name/);
  expect(refused('https://localhost./', ['localhost:443'])).toBeUndefined();
  expect(refused('http://[::1]:8080/', ['[::1]:8080'])).toBeUndefined();
  expect(refused('http://[::1]:8080/', ['::1'])).toBeUndefined();
  expect(refused('http://sub.localhost/', ['localhost'])).toMatch(/loopback name/); // no wildcard
  expect(isAllowedHost(new URL('http://hooks.internal/'), ['HOOKS.internal'])).toBe(true);
  expect(isAllowedHost(new URL('http://evil-hooks.internal/'), ['hooks.internal'])).toBe(false);
});

test('an allow-list entry is a host, an IP or either with a port; anything else is not an entry', () => {
  expect(parseAllowedHost('127.0.0.1:9099')).toEqual({ hostname: '127.0.0.1', port: 9099 });
  expect(parseAllowedHost('hooks.internal')).toEqual({ hostname: 'hooks.internal' });
  expect(parseAllowedHost('[::1]:80')).toEqual({ hostname: '[::1]', port: 80 });
  expect(parseAllowedHost('fd00::5')).toEqual({ hostname: '[fd00::5]' });
  for (const bad of ['http://x', 'x/path', 'user@x', 'x:port', 'a b', '']) expect(parseAllowedHost(bad)).toBeUndefined();
});
