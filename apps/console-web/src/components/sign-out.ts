/** Ends the console session and the IdP session (Single Logout), then lands wherever the console says. */
export async function signOut(csrfToken: string): Promise<void> {
  try {
    const response = await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin', headers: { 'x-csrf-token': csrfToken } });
    const body = (await response.json().catch(() => ({}))) as { redirect?: string };
    window.location.assign(body.redirect ?? '/');
  } catch {
    window.location.assign('/');
  }
}
