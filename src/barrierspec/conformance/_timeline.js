// The barrierspec history timeline (see _history_page.py): draws the page's JSON data.
(function(){
const D = JSON.parse(document.getElementById('data').textContent);
const svg = document.getElementById('tl'), tip = document.getElementById('tip');
const wrap = document.getElementById('wrap');
const L = 150, R = 24, LANE = 24, TOP = 50;
let W = 1000, v0 = D.start[0], v1 = D.start[1];
const esc = s => String(s).replace(/[&<>"]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'})[c]);
function fmt(t){ const a = Math.abs(v1 - v0);
  if (Math.abs(t) >= 10000) return (t/1000).toFixed(3) + ' s';
  return t.toFixed(a < 1 ? 3 : a < 20 ? 2 : 1) + ' ms'; }
function fill(op){ return op.c === 'round' ? D.rounds[(op.r - 1) % D.rounds.length] : D.fills[op.c]; }
function step(span){ const raw = span / 8, p = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p; return 10 * p; }
function x(t){ return L + (t - v0) / (v1 - v0) * W; }
function render(){
  W = Math.max(400, wrap.clientWidth - L - R);
  const H = TOP + LANE * D.lanes.length + 8, a0 = D.extent[0], a1 = D.extent[1];
  const ox = t => L + (t - a0) / ((a1 - a0) || 1) * W, s = [];
  s.push(`<rect x="${L}" y="4" width="${W}" height="10" fill="#f1f3f5" stroke="#ced4da"/>`);
  for (const f of D.marks) s.push(`<rect x="${ox(f)-1}" y="4" width="2" height="10" fill="#e64980"/>`);
  const b0 = Math.max(ox(v0), L), b1 = Math.min(ox(v1), L + W);
  s.push(`<rect class="viewbox" x="${b0}" y="3" width="${Math.max(2, b1-b0)}" height="12" fill="#339af0" opacity=".35"/>`);
  const st = step(v1 - v0);
  for (let t = Math.ceil(v0 / st) * st; t <= v1; t += st) {
    const xt = x(t); s.push(`<line x1="${xt}" x2="${xt}" y1="30" y2="${H}" stroke="#f1f3f5"/>`,
      `<text x="${xt+2}" y="40" fill="#555">${fmt(t)}</text>`); }
  s.push(`<text x="4" y="40" fill="#555">ms since start</text>`);
  D.lanes.forEach((w, n) => { const y = TOP + n * LANE;
    s.push(`<g class="lane" data-worker="${esc(w[1])}"><text x="4" y="${y+15}">${esc(w[0])}<title>${esc(w[1])}</title></text>` +
      `<line x1="${L}" x2="${L+W}" y1="${y+LANE-1}" y2="${y+LANE-1}" stroke="#eee"/></g>`); });
  for (const [r, t] of D.trips) if (t >= v0 && t <= v1)
    s.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${TOP-4}" y2="${H}" stroke="${D.rounds[(r-1) % D.rounds.length]}" stroke-dasharray="2 3"/>`);
  for (const op of D.ops) {
    const e = op.e === null ? Infinity : op.e;
    if (e < v0 || op.s > v1) continue;
    const xa = Math.max(L, x(op.s)), xb = e === Infinity ? L + W : Math.min(L + W, x(e));
    const y = TOP + op.l * LANE + 4, h = op.c === 'join' || op.c === 'cancel' ? 8 : LANE - 8;
    const cls = 'op ' + op.c + (op.w ? ' witness' : op.n ? ' named' : '') + (op.f ? ' faded' : '');
    const dash = op.e === null ? ' stroke-dasharray="4 2"' : '';
    s.push(`<rect class="${cls}" data-i="${op.i}" x="${xa}" y="${y}" width="${Math.max(2, xb-xa)}" height="${h}" fill="${fill(op)}" stroke="#555"${dash}/>`);
    if (xb - xa > 24 && op.c === 'round') s.push(`<text x="${xa+3}" y="${y+12}" fill="#fff" pointer-events="none">${op.r}</text>`);
    if (x(op.s) < L) s.push(`<path d="M${L} ${y} l-8 ${h/2} l8 ${h/2}z" fill="${fill(op)}" stroke="#555"/>`);
    if (x(e) > L + W) s.push(`<path d="M${L+W} ${y} l8 ${h/2} l-8 ${h/2}z" fill="${fill(op)}" stroke="#555"/>`);
    if (op.w || op.n) s.push(`<text x="${xa}" y="${y-1}" fill="#c2255c" font-weight="600" pointer-events="none">${op.i}</text>`);
  }
  svg.setAttribute('width', L + W + R); svg.setAttribute('height', H); svg.innerHTML = s.join('');
  document.getElementById('view').textContent = `view ${fmt(v0)} to ${fmt(v1)} (whole history: ${fmt(a0)} to ${fmt(a1)})`;
}
function setView(a, b){ if (!(b > a)) { const m = (a + b) / 2; a = m - 0.5; b = m + 0.5; }
  v0 = a; v1 = b; render(); }
svg.addEventListener('wheel', ev => { ev.preventDefault();
  const f = Math.exp(ev.deltaY * 0.002), r = svg.getBoundingClientRect();
  const tc = v0 + (ev.clientX - r.left - L) / W * (v1 - v0);
  setView(tc - (tc - v0) * f, tc + (v1 - tc) * f); }, {passive: false});
let drag = null;
svg.addEventListener('mousedown', ev => { drag = [ev.clientX, v0, v1]; wrap.style.cursor = 'grabbing'; });
window.addEventListener('mouseup', () => { drag = null; wrap.style.cursor = ''; });
window.addEventListener('mousemove', ev => {
  if (drag) { const d = (ev.clientX - drag[0]) / W * (drag[2] - drag[1]); setView(drag[1] - d, drag[2] - d); return; }
  const i = ev.target.getAttribute && ev.target.getAttribute('data-i');
  if (i === null || i === undefined) { tip.style.display = 'none'; return; }
  tip.textContent = D.tips[i]; tip.style.display = 'block';
  tip.style.left = (ev.clientX + 14) + 'px'; tip.style.top = (ev.clientY + 14) + 'px'; });
const btn = (id, view) => { const b = document.getElementById(id); if (b) b.onclick = () => setView(view[0], view[1]); };
if (D.focus) btn('zoom-violation', D.focus); btn('zoom-dense', D.dense); btn('zoom-all', D.extent);
window.addEventListener('resize', render);
window.timeline = {setView, view: () => [v0, v1], focus: D.focus};
render();
})();
