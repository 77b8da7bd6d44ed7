/**
 * Follows a signed approval link as a browser does after opening it: the page's form POSTs the
 * decision with the link's token (`t`) to the page's path.
 */
export function answerLink(
  link: string,
  decision: 'approve' | 'reject',
  extra: Readonly<Record<string, string>> = {},
): Promise<Response> {
  const url = new URL(link);
  return fetch(`${url.origin}${url.pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ decision, token: url.searchParams.get('t') ?? '', ...extra }).toString(),
  });
}
