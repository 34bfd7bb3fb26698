/** A URL as it may be shown (status, logs, events): never its user or password. */
export function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(not a URL)';
  }
}

/** Same scheme family (ws is http, wss is https), host and port. */
export function sameOrigin(a: string, b: string): boolean {
  const origin = (text: string) => {
    const url = new URL(text);
    const scheme = url.protocol === 'ws:' ? 'http:' : url.protocol === 'wss:' ? 'https:' : url.protocol;
    const port = url.port || (scheme === 'https:' ? '443' : '80');
    return `${scheme}//${url.hostname.toLowerCase()}:${port}`;
  };
  try {
    return origin(a) === origin(b);
  } catch {
    return false;
  }
}
