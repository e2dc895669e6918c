// @ts-check
/**
 * Draw a pass's QR code on the phone, from its token, with no network: the vendored
 * qrcode-generator (npm, MIT) computes the modules; this file turns them into an SVG built with
 * DOM calls (no innerHTML, nothing a strict Content-Security-Policy would refuse).
 *
 * Error correction M and alphanumeric mode, as the server's QR (api/checkout/qr.py): a token is
 * a version-5 code. A quiet zone of four modules keeps it readable on any background.
 */

import qrcode from '../vendor/qrcode-generator.js';

const SVG = 'http://www.w3.org/2000/svg';
const QUIET = 4;
const ALPHANUMERIC = /^[0-9A-Z $%*+\-./:]*$/;

/**
 * @param {Document} doc
 * @param {string} text
 * @returns {SVGSVGElement}
 */
export function qrSvg(doc, text) {
  const code = qrcode(0, 'M');
  code.addData(text, ALPHANUMERIC.test(text) ? 'Alphanumeric' : 'Byte');
  code.make();
  const count = code.getModuleCount();
  const size = count + 2 * QUIET;
  let path = '';
  for (let row = 0; row < count; row += 1) {
    for (let col = 0; col < count; col += 1) {
      if (code.isDark(row, col)) path += `M${col + QUIET} ${row + QUIET}h1v1h-1z`;
    }
  }
  const svg = doc.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('shape-rendering', 'crispEdges');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'Pass QR code');
  const background = doc.createElementNS(SVG, 'rect');
  background.setAttribute('width', String(size));
  background.setAttribute('height', String(size));
  background.setAttribute('fill', '#fff');
  const modules = doc.createElementNS(SVG, 'path');
  modules.setAttribute('d', path);
  modules.setAttribute('fill', '#000');
  svg.append(background, modules);
  return /** @type {SVGSVGElement} */ (svg);
}
