// @ts-check
/**
 * The live door view's rendering, apart from the page so Node's test runner can check it:
 * figures (door.json) in, DOM rows out. Only textContent is written, never HTML.
 */

/**
 * @typedef {{name: string, sold: number, checked_in: number}} Tier
 * @typedef {{door: string, checked_in: number, devices: number, last_sync_at: string | null, pending: number}} Door
 * @typedef {{name: string, inside: number, tiers: {name: string, inside: number}[]}} ListInside
 * @typedef {{event_id: string, event: string, timezone: string, sold: number, checked_in: number,
 *   tiers: Tier[], doors: Door[], as_of: string, lists?: ListInside[]}} Figures
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
 * One row of "Inside now": a list's total (tier null) or one tier of it.
 * @param {Document} doc
 * @param {string} list
 * @param {string | null} tier
 * @param {number} inside
 */
function insideRow(doc, list, tier, inside) {
  const tr = doc.createElement('tr');
  tr.dataset.list = list;
  const first = doc.createElement(tier === null ? 'th' : 'td');
  if (tier === null) {
    tr.dataset.total = '';
    first.setAttribute('scope', 'row');
    first.textContent = list;
  } else {
    tr.dataset.tier = tier;
  }
  const name = doc.createElement('td');
  name.textContent = tier ?? 'every tier';
  const figure = doc.createElement('td');
  figure.dataset.figure = 'inside';
  figure.textContent = String(inside);
  tr.append(first, name, figure);
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
  const inside = root.querySelector('#inside tbody');
  if (inside && figures.lists) {
    inside.replaceChildren(
      ...figures.lists.flatMap((l) => [insideRow(doc, l.name, null, l.inside), ...l.tiers.map((t) => insideRow(doc, l.name, t.name, t.inside))]),
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
