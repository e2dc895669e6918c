// @ts-check
// The ticket box's side of a partner embed (api/partners/): tells the page framing it how tall
// its content is, so the partner's embed.js can size the iframe to fit, with no scrollbar
// inside the partner's page. The height is all it says; any page framing it may know that.

const tellHeight = () => {
  if (window.parent === window) return; // opened in a tab of its own (a refused form)
  const height = Math.ceil(document.body.getBoundingClientRect().height);
  window.parent.postMessage({ poctix: "embed-height", height }, "*");
};

new ResizeObserver(tellHeight).observe(document.body);
window.addEventListener("load", tellHeight);
