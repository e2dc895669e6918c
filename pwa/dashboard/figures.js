// @ts-check
/**
 * The live door view's rendering, apart from the page so Node's test runner can check it:
 * figures (door.json) in, DOM rows out. Only textContent is written, never HTML.
 */

/**
 * @typedef {{name: string, sold: number, checked_in: number}} Tier
 * @typedef {{door: string, checked_in: number, devices: number, last_sync_at: string | null, pending: number}} Door
 * @typedef {{event_id: string, event: string, timezone: string, sold: number, checked_in: number,
 *   tiers: Tier[], doors: Door[], as_of: string}} Figures
 */

/**
 * `7:34 PM` in the event's zone (the scanner and the server write times the same way).
 * @param {string | null} iso
 * @param {string} timeZone
 */
export function clock(iso, timeZone) {
  if (!iso) return 'never';
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return 'unknown';
  return new Intl.DateTimeFormat('en-US', { hour: 'numeric', minute: '2-digit', timeZone }).format(at);
}

/**
 * @param {Document} doc
 * @param {Array<string | number>} cells
 * @param {Record<string, string>} data
 * @param {number} figureAt index of the checked-in cell
 */
function row(doc, cells, data, figureAt) {
  const tr = doc.createElement('tr');
  for (const [key, value] of Object.entries(data)) tr.dataset[key] = value;
  cells.forEach((value, i) => {
    const td = doc.createElement('td');
    td.textContent = String(value);
    if (i === figureAt) td.dataset.figure = 'checked-in';
    if (i === 2 && data.tier !== undefined) td.dataset.figure = 'sold';
    tr.append(td);
  });
  return tr;
}

/**
 * Write `figures` into the live door section.
 * @param {HTMLElement} root the element with id door-live
 * @param {Figures} figures
 */
export function render(root, figures) {
  const doc = root.ownerDocument;
  const tz = figures.timezone;
  const set = (/** @type {string} */ selector, /** @type {number} */ value) => {
    const el = root.querySelector(selector);
    if (el) el.textContent = String(value);
  };
  set('p.big [data-figure="checked-in"]', figures.checked_in);
  set('p.big [data-figure="sold"]', figures.sold);
  const tiers = root.querySelector('#tiers tbody');
  if (tiers) {
    tiers.replaceChildren(
      ...figures.tiers.map((t) => row(doc, [t.name, t.checked_in, t.sold], { tier: t.name }, 1)),
    );
  }
  const doors = root.querySelector('#doors tbody');
  if (doors) {
    if (figures.doors.length === 0) {
      const tr = doc.createElement('tr');
      const td = doc.createElement('td');
      td.colSpan = 5;
      td.textContent = 'No door has scanned yet.';
      tr.append(td);
      doors.replaceChildren(tr);
    } else {
      doors.replaceChildren(
        ...figures.doors.map((d) =>
          row(doc, [d.door, d.checked_in, d.devices, clock(d.last_sync_at, tz), d.pending], { door: d.door }, 1),
        ),
      );
    }
  }
}
