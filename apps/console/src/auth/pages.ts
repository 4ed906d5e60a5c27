import type { Response } from 'express';

// Names and ids on these pages come from an assertion, a query string or the directory: escape all of it.
export function escapeHtml(value: string | number | null | undefined): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A short page for what the SPA cannot show: a sign-in that could not complete. */
export function messagePage(
  title: string,
  message: string,
  link: { href: string; text: string } = { href: '/', text: 'Back to the console' },
): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Admin console</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.5;color:#151515}h1{font-size:1.5rem}</style>
</head><body><main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p><p><a href="${escapeHtml(link.href)}">${escapeHtml(link.text)}</a></p></main></body></html>`;
}

export function sendPage(res: Response, status: number, html: string): void {
  res
    .status(status)
    // Pages may show personal data: not cached, and no script runs even if escaping were missed.
    .set({ 'Cache-Control': 'no-store', 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'" })
    .type('html')
    .send(html);
}
