export const en = {
  app: { name: 'opsflow console', skip: 'Skip to the content', language: 'Language', timezone: 'Times in {{zone}}', loading: 'Loading…' },
  nav: {
    label: 'Main', inbox: 'Inbox', content: 'Content', campaigns: 'Campaigns', customers: 'Customers', metrics: 'Metrics and rules',
    incidents: 'Incidents', partners: 'Partners', templates: 'Message templates', admin: 'Admin', apiDocs: 'API docs',
  },
  session: { signedInAs: 'Signed in as {{name}} ({{roles}})', signOut: 'Sign out' },
  signIn: {
    title: 'Sign in',
    byEmail: 'Email me a sign-in link',
    email: 'Email',
    sendLink: 'Send the link',
    linkSent: 'If {{email}} belongs to an operator, a sign-in link is on its way. It works once, within 15 minutes.',
    byToken: 'Or paste an API token',
    token: 'API token',
    useToken: 'Sign in with the token',
    fromLink: 'Sign in with the emailed link',
    fromLinkHelp: 'The link works once. Press the button to open your session in this browser.',
    continue: 'Continue',
    otherWays: 'Other ways to sign in',
  },
  pager: { count: '{{from}}–{{to}} of {{total}}', previous: 'Previous page', next: 'Next page' },
  chart: { figures: 'Show the figures', time: 'Time', category: 'Item' },
  role: { admin: 'Admin', ops_manager: 'Ops manager', reviewer: 'Reviewer', legal: 'Legal', oncall: 'On-call', analyst: 'Analyst', ingest: 'Ingest' },
  notFound: { title: 'No such page', text: 'This console address names no page: it may be mistyped, or from an older link.', home: 'Go to the inbox' },
  error: { title: 'Something went wrong', retry: 'Try again' },
};
export type Messages = typeof en;
