// @ts-check
// The partner page's side of a POCtix embed: pasted with the iframe, it sizes each iframe of
// this ticket site to the height its ticket box reports (frame.js), believing messages from
// this script's own origin only, and only for the frame that sent them.

(() => {
  const script = /** @type {HTMLScriptElement | null} */ (document.currentScript);
  if (!script) return;
  const origin = new URL(script.src).origin;
  window.addEventListener("message", (event) => {
    const data = event.data;
    if (event.origin !== origin || !data || data.poctix !== "embed-height") return;
    const height = Number(data.height);
    if (!Number.isFinite(height)) return;
    for (const frame of document.querySelectorAll("iframe")) {
      if (frame.contentWindow === event.source) {
        frame.style.height = `${Math.min(Math.max(Math.ceil(height), 120), 10000)}px`;
      }
    }
  });
})();
