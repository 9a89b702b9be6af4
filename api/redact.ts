/** Tokens that travel in URLs (unsubscribe links, a `token` query) never reach the logs. */
export function redactUrl(url: string): string {
  return url
    .replace(/\/unsubscribe\/[^/?#]+/g, '/unsubscribe/[redacted]')
    .replace(/([?&](?:token|code|signature|sig)=)[^&#]*/gi, '$1[redacted]');
}
