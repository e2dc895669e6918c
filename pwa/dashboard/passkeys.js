// @ts-check
/**
 * Passkeys for staff: the WebAuthn glue between the server's JSON options (py_webauthn's
 * `options_to_json`: binary fields as base64url) and `navigator.credentials`, and back.
 *
 * - On /admin/security, `form[data-passkey-register]` adds a passkey: POST
 *   /admin/security/passkeys/options, `credentials.create`, POST /admin/security/passkeys.
 * - On /admin/sign-in, `[data-passkey-sign-in]` signs in: POST /admin/sign-in/passkey/options,
 *   `credentials.get`, POST /admin/sign-in/passkey, then go where the server says.
 *
 * Each POST carries the page's CSRF token (`x-csrftoken`). Errors are shown in the form's
 * `[data-passkey-error]`, never swallowed.
 */

/** @param {string} text base64url */
export function fromBase64url(text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

/** @param {ArrayBuffer | null} buffer */
export function toBase64url(buffer) {
  if (!buffer) return null;
  let raw = '';
  for (const byte of new Uint8Array(buffer)) raw += String.fromCharCode(byte);
  return btoa(raw).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * @typedef {{ id: string, type: string, transports?: string[] }} DescriptorJSON
 * @typedef {{ id: string, rawId: string, type: string, response: Record<string, unknown>,
 *   authenticatorAttachment: string | null, clientExtensionResults: object }} CredentialJSON
 */

/** @param {DescriptorJSON[] | undefined} list */
function descriptors(list) {
  return (list ?? []).map((d) => ({
    type: /** @type {PublicKeyCredentialType} */ (d.type),
    id: fromBase64url(d.id),
    transports: /** @type {AuthenticatorTransport[] | undefined} */ (d.transports),
  }));
}

/** @param {any} json */
function creationOptions(json) {
  return /** @type {PublicKeyCredentialCreationOptions} */ ({
    ...json,
    challenge: fromBase64url(json.challenge),
    user: { ...json.user, id: fromBase64url(json.user.id) },
    excludeCredentials: descriptors(json.excludeCredentials),
  });
}

/** @param {any} json */
function requestOptions(json) {
  return /** @type {PublicKeyCredentialRequestOptions} */ ({
    ...json,
    challenge: fromBase64url(json.challenge),
    allowCredentials: descriptors(json.allowCredentials),
  });
}

/** @param {PublicKeyCredential} credential @returns {CredentialJSON} */
function credentialJSON(credential) {
  const r = credential.response;
  /** @type {Record<string, unknown>} */
  const response = { clientDataJSON: toBase64url(r.clientDataJSON) };
  if (r instanceof AuthenticatorAttestationResponse) {
    response.attestationObject = toBase64url(r.attestationObject);
    response.transports = r.getTransports ? r.getTransports() : [];
  } else if (r instanceof AuthenticatorAssertionResponse) {
    response.authenticatorData = toBase64url(r.authenticatorData);
    response.signature = toBase64url(r.signature);
    response.userHandle = toBase64url(r.userHandle);
  }
  return {
    id: credential.id,
    rawId: /** @type {string} */ (toBase64url(credential.rawId)),
    type: credential.type,
    response,
    authenticatorAttachment: credential.authenticatorAttachment ?? null,
    clientExtensionResults: credential.getClientExtensionResults(),
  };
}

/** @param {Element} scope */
function csrf(scope) {
  const input = scope.querySelector('input[name="_csrf_token"]') ??
    document.querySelector('input[name="_csrf_token"]');
  return input instanceof HTMLInputElement ? input.value : '';
}

/** @param {string} url @param {string} token @param {unknown} [body] */
async function post(url, token, body) {
  const answer = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: {
      accept: 'application/json',
      'content-type': 'application/json',
      'x-csrftoken': token,
    },
    body: JSON.stringify(body ?? {}),
  });
  const data = await answer.json().catch(() => ({}));
  if (!answer.ok) throw new Error(data.detail || `The server answered ${answer.status}.`);
  return data;
}

/** @param {Element} form @param {unknown} error */
function showError(form, error) {
  const box = form.querySelector('[data-passkey-error]');
  const text = error instanceof DOMException && error.name === 'NotAllowedError'
    ? 'The passkey request was cancelled or timed out.'
    : error instanceof Error ? error.message : String(error);
  if (box instanceof HTMLElement) {
    box.textContent = text;
    box.hidden = false;
  }
}

/** @param {HTMLFormElement} form */
async function register(form) {
  const token = csrf(form);
  const name = new FormData(form).get('name');
  const options = await post('/admin/security/passkeys/options', token);
  const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
  if (!(credential instanceof PublicKeyCredential)) throw new Error('No passkey was created.');
  await post('/admin/security/passkeys', token, { name, credential: credentialJSON(credential) });
  location.assign('/admin/security?saved=passkey-added');
}

/** @param {Element} box */
async function signIn(box) {
  const token = csrf(box);
  const options = await post('/admin/sign-in/passkey/options', token);
  const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
  if (!(credential instanceof PublicKeyCredential)) throw new Error('No passkey was chosen.');
  const answer = await post('/admin/sign-in/passkey', token, { credential: credentialJSON(credential) });
  location.assign(answer.redirect || '/admin/');
}

function start() {
  const supported = typeof PublicKeyCredential !== 'undefined' && !!navigator.credentials;
  for (const form of document.querySelectorAll('form[data-passkey-register]')) {
    if (!(form instanceof HTMLFormElement)) continue;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (!supported) return showError(form, new Error('This browser cannot use passkeys.'));
      register(form).catch((error) => showError(form, error));
    });
  }
  for (const box of document.querySelectorAll('[data-passkey-sign-in]')) {
    const button = box.querySelector('button');
    if (!button) continue;
    button.hidden = false;
    button.addEventListener('click', (event) => {
      event.preventDefault();
      if (!supported) return showError(box, new Error('This browser cannot use passkeys.'));
      signIn(box).catch((error) => showError(box, error));
    });
  }
}

if (typeof document !== 'undefined') start();
