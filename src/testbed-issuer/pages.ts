/**
 * The HTML pages of the testbed issuer: login, device flow, logout and
 * errors. One plain style, no external resources, and stable markers for
 * scripts (see README.md): every page has `data-testbed-page` on <body>,
 * outcomes carry `data-testbed-result`. Everything interpolated is escaped.
 */

export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Title shared by the sign-in pages. */
export const SIGN_IN_TITLE = 'Dask Sites testbed — sign in';

const STYLE = `
:root{color-scheme:light dark;--fg:#1f2328;--muted:#59636e;--bg:#f6f8fa;--card:#fff;--line:#d1d9e0;--accent:#1f6feb;--bad:#cf222e;--good:#1a7f37}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--card:#151b23;--line:#3d444d;--accent:#4493f8;--bad:#f85149;--good:#3fb950}}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{width:min(25rem,92vw);background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1.5rem 1.75rem}
h1{font-size:1.15rem;margin:0 0 .25rem}
p{margin:.5rem 0}
.muted{color:var(--muted);font-size:.9rem}
label{display:block;margin:.9rem 0 .25rem;font-weight:600;font-size:.9rem}
input[type=text],input[type=password]{width:100%;padding:.5rem .6rem;font:inherit;color:inherit;background:transparent;border:1px solid var(--line);border-radius:6px}
input[name=user_code]{text-transform:uppercase;text-align:center;letter-spacing:.1em;margin-top:.75rem}
input[name=user_code]::placeholder{text-transform:none;letter-spacing:0}
button{font:inherit;cursor:pointer}
.primary{width:100%;margin-top:1.1rem;padding:.55rem;border:0;border-radius:6px;background:var(--accent);color:#fff;font-weight:600}
.link{background:none;border:0;padding:0;color:var(--muted);text-decoration:underline;font-size:.9rem}
.actions{margin-top:.75rem;text-align:center}
.error{color:var(--bad);font-weight:600}
.ok{color:var(--good);font-weight:600}
code{font-size:1.4rem;letter-spacing:.1em}
.hint code{font-size:.9rem;letter-spacing:0}
.hint{margin-top:1.25rem;padding-top:.75rem;border-top:1px solid var(--line)}
`;

function layout(title: string, page: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body data-testbed-page="${escapeHtml(page)}">
<main>
${body}
</main>
</body>
</html>
`;
}

export interface ILoginPageOptions {
  /** Form targets, already including the issuer path prefix. */
  loginAction: string;
  abortAction: string;
  clientName: string;
  /** Listed as a hint; passwords never are. */
  usernames: readonly string[];
  failed: boolean;
  /** Re-filled after a failed attempt. */
  username?: string;
}

export function loginPage(o: ILoginPageOptions): string {
  const failure = o.failed
    ? '<p class="error" role="alert" data-testbed-result="login-failed">Wrong username or password</p>'
    : '';
  const users = o.usernames.map(u => `<code>${escapeHtml(u)}</code>`);
  return layout(
    SIGN_IN_TITLE,
    'login',
    `<h1>${escapeHtml(SIGN_IN_TITLE)}</h1>
<p class="muted">to continue to <strong data-testbed-client>${escapeHtml(o.clientName)}</strong></p>
${failure}
<form id="login-form" method="post" action="${escapeHtml(o.loginAction)}">
<label for="username">Username</label>
<input type="text" id="username" name="username" value="${escapeHtml(o.username ?? '')}" autocomplete="username" autocapitalize="none" spellcheck="false" required${o.username ? '' : ' autofocus'}>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required${o.username ? ' autofocus' : ''}>
<button type="submit" class="primary">Sign in</button>
</form>
<form id="abort-form" class="actions" method="post" action="${escapeHtml(o.abortAction)}">
<button type="submit" class="link">Cancel sign-in</button>
</form>
<p class="hint muted">Test users: ${users.join(', ')}</p>`
  );
}

export type DeviceInputState = 'enter' | 'wrong-code' | 'aborted' | 'error';

const DEVICE_INPUT_MESSAGES: Record<DeviceInputState, string> = {
  enter: '<p>Enter the code shown on your device.</p>',
  'wrong-code':
    '<p class="error" role="alert" data-testbed-result="device-code-invalid">That code is not valid or has expired. Try again.</p>',
  aborted:
    '<p class="error" role="alert" data-testbed-result="device-aborted">The sign-in was cancelled; the device was not approved.</p>',
  error:
    '<p class="error" role="alert" data-testbed-result="device-error">Something went wrong with this request. Start again on your device.</p>'
};

/**
 * `form` is oidc-provider's own form (id `op.deviceInputForm`, hidden
 * `xsrf` input); the submit button refers to it by id.
 */
export function deviceInputPage(form: string, state: DeviceInputState): string {
  return layout(
    SIGN_IN_TITLE,
    'device-input',
    `<h1>${escapeHtml(SIGN_IN_TITLE)}</h1>
${DEVICE_INPUT_MESSAGES[state]}
${form}
<button type="submit" class="primary" form="op.deviceInputForm">Continue</button>`
  );
}

/** `form` is oidc-provider's `op.deviceConfirmForm` (xsrf, user_code, confirm). */
export function deviceConfirmPage(
  form: string,
  clientName: string,
  userCode: string
): string {
  return layout(
    SIGN_IN_TITLE,
    'device-confirm',
    `<h1>${escapeHtml(SIGN_IN_TITLE)}</h1>
<p><strong data-testbed-client>${escapeHtml(clientName)}</strong> asks to sign in on a device showing this code:</p>
<p style="text-align:center"><code data-testbed-user-code>${escapeHtml(userCode)}</code></p>
<p class="muted">Continue only if your device shows the same code.</p>
${form}
<button type="submit" class="primary" form="op.deviceConfirmForm">Continue</button>
<div class="actions"><button type="submit" class="link" form="op.deviceConfirmForm" name="abort" value="yes">Cancel</button></div>`
  );
}

export function deviceSuccessPage(clientName: string): string {
  return layout(
    SIGN_IN_TITLE,
    'device-success',
    `<h1>Device approved</h1>
<p class="ok" data-testbed-result="device-approved">You are signed in to <strong data-testbed-client>${escapeHtml(clientName)}</strong> on your device.</p>
<p class="muted">You can close this page.</p>`
  );
}

export function errorPage(error: string, description?: string): string {
  return layout(
    'Dask Sites testbed — error',
    'error',
    `<h1>Sign-in failed</h1>
<p class="error" data-testbed-result="error" data-testbed-error="${escapeHtml(error)}">${escapeHtml(error)}</p>
${description ? `<p class="muted">${escapeHtml(description)}</p>` : ''}
<p class="muted">Start the sign-in again from the application.</p>`
  );
}

/** `form` is oidc-provider's `op.logoutForm` (hidden xsrf input). */
export function logoutPage(form: string, host: string): string {
  return layout(
    'Dask Sites testbed — sign out',
    'logout',
    `<h1>Sign out of ${escapeHtml(host)}?</h1>
${form}
<button type="submit" class="primary" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>
<div class="actions"><button type="submit" class="link" form="op.logoutForm">No, stay signed in</button></div>`
  );
}

export function loggedOutPage(): string {
  return layout(
    'Dask Sites testbed — signed out',
    'logged-out',
    `<h1>Signed out</h1>
<p class="ok" data-testbed-result="logged-out">You are signed out of the testbed issuer.</p>`
  );
}
