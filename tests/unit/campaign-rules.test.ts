import {
  affordableSends,
  DEFAULT_CAMPAIGN_APPROVAL_POLICY,
  fillTemplate,
  goalActual,
  pickWinner,
  requiredApprovals,
  roi,
  templateFields,
  variantRates,
} from '../../domain/campaign.ts';

test('an admin approves too above the currency threshold; an unknown currency always needs both', () => {
  const policy = DEFAULT_CAMPAIGN_APPROVAL_POLICY;
  expect(requiredApprovals(policy, { total: 10_000, currency: 'USD', costPerSend: 1 }).roles).toEqual(['ops_manager']);
  expect(requiredApprovals(policy, { total: 10_000.01, currency: 'USD', costPerSend: 1 }).roles).toEqual(['ops_manager', 'admin']);
  const unknown = requiredApprovals(policy, { total: 1, currency: 'CHF', costPerSend: 0.1 });
  expect(unknown.roles).toEqual(['ops_manager', 'admin']);
  expect(unknown.reason).toMatch(/no approval policy covers CHF/);
  expect(requiredApprovals({ version: 1, secondApprovalAbove: {} }, { total: 1, currency: 'USD', costPerSend: 1 }).roles).toEqual([
    'ops_manager',
    'admin',
  ]);
});

test('the budget pays for whole sends, counted in cents', () => {
  expect(affordableSends({ total: 2.5, currency: 'USD', costPerSend: 0.5 })).toBe(5);
  expect(affordableSends({ total: 0.3, currency: 'USD', costPerSend: 0.1 })).toBe(3); // 0.3 / 0.1 is 2.9999... in floats
  expect(affordableSends({ total: 1, currency: 'USD', costPerSend: 0.3 })).toBe(3);
  expect(affordableSends({ total: 1, currency: 'USD', costPerSend: 0 })).toBe(Number.POSITIVE_INFINITY);
});

test('the best rate wins with its margin and lift; a tie keeps the first variant', () => {
  const results = variantRates(
    [
      { name: 'a', sent: 50, conversions: 5, clicks: 20 },
      { name: 'b', sent: 40, conversions: 6, clicks: 4 },
      { name: 'c', sent: 0, conversions: 0, clicks: 0 },
    ],
    'conversions',
  );
  expect(results.map((r) => r.rate)).toEqual([0.1, 0.15, 0]);
  const choice = pickWinner(results);
  expect(choice.winner).toBe('b');
  expect(choice.runnerUp).toBe('a');
  expect(choice.margin).toBeCloseTo(0.05, 12);
  expect(choice.lift).toBeCloseTo(0.5, 12);
  expect(
    pickWinner(
      variantRates(
        [
          { name: 'a', sent: 10, conversions: 0, clicks: 2 },
          { name: 'b', sent: 10, conversions: 0, clicks: 2 },
        ],
        'clicks',
      ),
    ),
  ).toEqual({ winner: 'a', runnerUp: 'b', margin: 0, lift: 0 });
  expect(
    pickWinner(
      variantRates(
        [
          { name: 'a', sent: 10, conversions: 1, clicks: 0 },
          { name: 'b', sent: 10, conversions: 0, clicks: 0 },
        ],
        'conversions',
      ),
    ),
  ).toEqual({ winner: 'a', runnerUp: 'b', margin: 0.1, lift: null });
});

test('templates name known customer fields and fall back when a field is empty', () => {
  expect(templateFields('Hi {{ name | there }}, {{nickname}} {{email}}')).toEqual([
    { field: 'name', known: true },
    { field: 'nickname', known: false },
    { field: 'email', known: true },
  ]);
  expect(fillTemplate('Hi {{name|there}}, your {{ segment }} perks ({{stage|new}})', { name: null, segment: 'champions', stage: '' })).toBe(
    'Hi there, your champions perks (new)',
  );
  expect(fillTemplate('{{firstName}}!', { firstName: 'Lin' })).toBe('Lin!');
});

test('goal actuals and ROI', () => {
  const a = { conversions: 3, purchases: 4, gmv: 69.75, uv: 6, newUsers: 2, clicks: 1 };
  expect(goalActual('gmv', a, 38)).toBe(69.75);
  expect(goalActual('conversion_rate', a, 38)).toBe(3 / 38);
  expect(goalActual('conversion_rate', a, 0)).toBe(0);
  expect(goalActual('uv', a, 38)).toBe(6);
  expect(goalActual('new_users', a, 38)).toBe(2);
  expect(roi(69.75, 19)).toBeCloseTo(2.6711, 4);
  expect(roi(10, 0)).toBeNull();
});
