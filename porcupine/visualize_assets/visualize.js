(function () {
'use strict';

// Layout of one operation in part.ops (see visPart in visualize.go).
var OP_CLIENT = 0, OP_CALL = 1, OP_RET = 2, OP_CT = 3, OP_RT = 4, OP_DESC = 5,
    OP_BEFORE = 6, OP_AFTER = 7, OP_HOME = 8, OP_POS = 9, OP_FLAGS = 10, OPK = 11;
var F_UNKNOWN = 1, F_MISMATCH = 2, F_NEXT_LEGAL = 4;
var ANK = 8;
var SVGNS = 'http://www.w3.org/2000/svg';
var LANE_H = 26, AXIS_H = 24, ANN_H = 22, LABEL_W = 120, ROW_PAD = 4;
// An unknown-outcome operation has no return; it is drawn this many columns
// wide (or up to where it was linearized) so it stays visible without
// stretching over the whole row and pushing later operations into new lanes.
var UNKNOWN_COLS = 3;

var D = JSON.parse(document.getElementById('vis-data').textContent);
var S = D.s;
var state = { colW: 0, pinned: null, panes: [] };

function str(id) { return id >= 0 ? S[id] : ''; }
function el(tag, attrs, parent) {
  var e = document.createElement(tag);
  if (attrs) for (var k in attrs) {
    if (k === 'text') e.textContent = attrs[k]; else if (k === 'cls') e.className = attrs[k]; else e.setAttribute(k, attrs[k]);
  }
  if (parent) parent.appendChild(e);
  return e;
}
function sv(tag, attrs, parent) {
  var e = document.createElementNS(SVGNS, tag);
  if (attrs) for (var k in attrs) {
    if (k === 'text') e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]);
  }
  if (parent) parent.appendChild(e);
  return e;
}
function clip(s, n) { return s.length > n ? s.slice(0, Math.max(0, n - 1)) + '\u2026' : s; }
function absTime(rel) {
  // Base is a decimal string because int64 timestamps exceed 2^53.
  try { return (BigInt(D.base) + BigInt(rel)).toString(); } catch (e) { return String(rel); }
}
// clockText is a timestamp relative to Base as the time it stands for
// (see SetClock), in seconds, or null without a clock.
function clockText(rel) {
  if (!D.clock) return null;
  try {
    var ns = (BigInt(D.base) + BigInt(rel) - BigInt(D.clock.zero)) * BigInt(D.clock.unit);
    return (Number(ns) / 1e9).toFixed(6) + 's';
  } catch (e) { return null; }
}
function fmtRel(v) {
  var c = clockText(v);
  if (c !== null) return c;
  var a = Math.abs(v);
  if (a < 10000) return String(v);
  var units = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (var i = 0; i < units.length; i++) if (a >= units[i][0]) return (v / units[i][0]).toPrecision(4).replace(/\.?0+$/, '') + units[i][1];
  return String(v);
}
function clientName(row) { return 'client ' + D.clients[row]; }

// Per-partition geometry that does not depend on the zoom level: lanes,
// linearization columns and which ops are on the stuck path.
function prepare(pi) {
  var P = D.parts[pi], ops = P.ops, n = ops.length / OPK, i, j;
  var g = { pi: pi, P: P, n: n, lane: new Int32Array(n), end: new Int32Array(n), lpCol: new Float64Array(n),
            inStuck: new Uint8Array(n), isNext: new Uint8Array(n), rows: [], rowLanes: {}, lps: {} };
  for (i = 0; i < n; i++) g.lpCol[i] = -1;
  // Linearization points: each op takes effect at the latest of its own
  // call and the previous op's point, which stays inside its interval
  // whenever the order respects real time. Ops sharing a column are spread
  // across it so their order stays visible.
  for (j = 0; j < P.partials.length; j++) {
    var lin = P.partials[j];
    if (!lin.length) continue;
    var cols = new Float64Array(lin.length), prev = 0;
    for (var k = 0; k < lin.length; k++) {
      prev = Math.max(prev, ops[lin[k] * OPK + OP_CALL]);
      cols[k] = prev;
    }
    var pts = new Float64Array(lin.length), s = 0;
    while (s < lin.length) {
      var e = s;
      while (e + 1 < lin.length && cols[e + 1] === cols[s]) e++;
      for (k = s; k <= e; k++) pts[k] = cols[s] + (k - s + 1) / (e - s + 2);
      s = e + 1;
    }
    g.lps[j] = pts;
    for (k = 0; k < lin.length; k++) if (ops[lin[k] * OPK + OP_HOME] === j) g.lpCol[lin[k]] = pts[k];
  }
  if (P.illegal && P.stuck >= 0) {
    var sl = P.partials[P.stuck];
    for (k = 0; k < sl.length; k++) g.inStuck[sl[k]] = 1;
    for (k = 0; k < P.next.length; k++) g.isNext[P.next[k]] = 1;
  }
  // Greedy lanes per client: a client is sequential, so one lane is the
  // norm; overlaps come from abandoned (unknown) calls.
  var order = [];
  for (i = 0; i < n; i++) {
    var call = ops[i * OPK + OP_CALL], ret = ops[i * OPK + OP_RET];
    if (ret < 0) {
      ret = Math.min(P.cols - 1, call + UNKNOWN_COLS - 1);
      if (g.lpCol[i] >= 0) ret = Math.max(ret, Math.floor(g.lpCol[i]));
      if (P.illegal && P.stuck >= 0) {
        var stuckPts = g.lps[P.stuck];
        if (g.isNext[i] && stuckPts && stuckPts.length) ret = Math.max(ret, Math.floor(stuckPts[stuckPts.length - 1]));
      }
    }
    g.end[i] = ret;
    order.push(i);
  }
  order.sort(function (a, b) { return ops[a * OPK + OP_CALL] - ops[b * OPK + OP_CALL] || a - b; });
  var laneEnds = {}, present = {};
  for (var q = 0; q < order.length; q++) {
    i = order[q];
    var c = ops[i * OPK + OP_CLIENT];
    present[c] = true;
    var ends = laneEnds[c] || (laneEnds[c] = []);
    var l = 0;
    while (l < ends.length && ends[l] >= ops[i * OPK + OP_CALL]) l++;
    ends[l] = g.end[i];
    g.lane[i] = l;
  }
  for (var r = 0; r < D.clients.length; r++) if (present[r]) { g.rows.push(r); g.rowLanes[r] = laneEnds[r].length; }
  return g;
}

function buildHeader(app) {
  var top = el('div', { id: 'top' }, app);
  var v = el('span', { id: 'verdict', cls: D.verdict }, top);
  var nBad = 0, nOps = 0;
  for (var i = 0; i < D.parts.length; i++) { if (D.parts[i].illegal) nBad++; nOps += D.parts[i].ops.length / OPK; }
  v.textContent = D.verdict === 'Ok' ? 'Ok: linearizable' : D.verdict === 'Illegal' ? 'Illegal: not linearizable' : 'Unknown: check incomplete';
  var sum = nOps + ' operations, ' + D.clients.length + ' clients, ' + D.parts.length + ' partition' + (D.parts.length === 1 ? '' : 's');
  if (nBad) sum += ', ' + nBad + ' illegal';
  el('span', { id: 'summary', text: sum }, top);
  var jump = el('button', { id: 'jump', cls: 'primary', type: 'button' }, top);
  if (D.first && D.verdict === 'Illegal') jump.textContent = 'Jump to first error';
  else if (D.first) { jump.textContent = 'Jump to where the search stopped'; jump.className = ''; }
  else { jump.textContent = 'No error to jump to'; jump.disabled = true; jump.className = ''; }
  jump.addEventListener('click', jumpToFirst);
  var lbl = el('label', null, top);
  var only = el('input', { type: 'checkbox', id: 'only-bad' }, lbl);
  lbl.appendChild(document.createTextNode('only partitions with problems'));
  only.addEventListener('change', function () { document.body.classList.toggle('only-bad', only.checked); });
  var zl = el('label', null, top);
  zl.appendChild(document.createTextNode('zoom'));
  var zoom = el('input', { type: 'range', id: 'zoom', min: '6', max: '160', step: '1' }, zl);
  zoom.value = String(state.colW);
  zoom.addEventListener('change', function () { state.colW = +zoom.value; renderAll(); });
  var lg = el('span', { cls: 'legend' }, top);
  var items = nBad ? [['l-lin', 'linearized before the error'], ['l-next', 'cannot be linearized'], ['l-grey', 'not reached'],
                      ['l-op', 'linearized (other partitions)'], ['l-unk', 'outcome unknown']]
                   : [['l-op', 'operation'], ['l-unk', 'outcome unknown']];
  for (i = 0; i < items.length; i++) {
    var it = el('span', null, lg);
    el('i', { cls: items[i][0] }, it);
    it.appendChild(document.createTextNode(items[i][1]));
  }
  if (D.unknown) {
    var u = D.unknown;
    el('div', { id: 'reason', text: 'The check gave up (' + u.cause + (u.detail ? ': ' + u.detail : '') + ') after exploring ' +
      u.explored + ' states; it linearized at most ' + u.longestPrefix + ' operations of partition ' + u.partition +
      '. The history may or may not be linearizable.' }, top);
  }
  el('div', { cls: 'legend', text: 'Time runs left to right, compressed: columns keep only the order of calls and returns. ' +
    'Hover an operation for the states before and after it; click to pin.' + (D.base !== '0' ? ' Times are relative to T0 = ' + D.base + '.' : '') +
    (D.statesOmitted ? ' The states of ' + D.statesOmitted + ' operations far from any error were left out to keep the page small.' : '') }, top);
}

function opChip(parent, g, i) {
  var a = el('a', { text: clientName(g.P.ops[i * OPK + OP_CLIENT]) + ': ' + clip(str(g.P.ops[i * OPK + OP_DESC]), 120) }, parent);
  a.addEventListener('click', function () { focusOp(g.pi, i, true); });
  return a;
}

function buildPane(container, g) {
  var P = g.P;
  var sec = el('section', { cls: 'pane ' + (P.illegal ? 'illegal' : (P.undecided || (D.unknown && D.unknown.partition === g.pi) ? 'stopped' : 'ok')), id: 'part-' + g.pi }, container);
  var h = el('header', null, sec);
  el('h2', { text: 'Partition ' + g.pi }, h);
  var tag = el('span', { cls: 'tag' }, h);
  if (P.illegal) {
    var stuckLen = P.stuck >= 0 ? P.partials[P.stuck].length : 0;
    tag.textContent = 'not linearizable: stuck after ' + stuckLen + ' of ' + g.n + ' operations';
    var ex = el('div', { cls: 'explain' }, h);
    ex.appendChild(document.createTextNode('The longest partial linearization (green path) orders ' + stuckLen +
      ' operations; it ends in state '));
    el('code', { text: clip(str(P.stuckState), 400) }, ex);
    ex.appendChild(document.createTextNode('. None of the operations that could come next can be linearized there (red):'));
    var ul = el('ul', null, ex);
    for (var k = 0; k < P.next.length && k < 20; k++) {
      var li = el('li', null, ul);
      opChip(li, g, P.next[k]);
      li.appendChild(document.createTextNode(P.ops[P.next[k] * OPK + OP_FLAGS] & F_NEXT_LEGAL ?
        ' — legal here, but every order that continues with it fails later' : ' — not a legal step from that state'));
    }
    if (P.next.length > 20) el('li', { text: '\u2026 and ' + (P.next.length - 20) + ' more' }, ul);
  } else if (D.unknown && D.unknown.partition === g.pi) {
    tag.textContent = 'search stopped here (' + D.unknown.cause + ')';
    el('div', { cls: 'explain stopped', text: 'The checker gave up while searching this partition, after linearizing at most ' +
      D.unknown.longestPrefix + ' of ' + g.n + ' operations. The green path is the longest partial linearization it found.' }, h);
  } else if (P.undecided) {
    // A verbose check stops searching the other partitions soon after one
    // is found illegal: saying "linearizable" here would be a guess.
    tag.textContent = 'not decided, ' + g.n + ' operations';
    el('div', { cls: 'explain stopped', text: 'The checker stopped searching this partition before reaching a verdict ' +
      '(a violation elsewhere had already decided the check). The green path is the longest partial linearization it found.' }, h);
  } else {
    tag.textContent = D.unknown ? g.n + ' operations' : 'linearizable, ' + g.n + ' operations';
  }
  var chart = el('div', { cls: 'chart' }, sec);
  g.sec = sec;
  g.labels = sv('svg', { 'class': 'labels', width: LABEL_W }, chart);
  g.scroll = el('div', { cls: 'scroll' }, chart);
  g.svg = sv('svg', { 'class': 'plot' }, g.scroll);
  g.svg.addEventListener('mouseover', function (e) { onOver(g, e); });
  g.svg.addEventListener('mouseout', function (e) { onOut(g, e); });
  g.svg.addEventListener('click', function (e) { onClick(g, e); });
}

function hatchDefs(svg) {
  var defs = sv('defs', null, svg);
  [['hatch', '#c9d3df'], ['hatch-grey', '#dde2e6']].forEach(function (h) {
    var p = sv('pattern', { id: h[0], width: '6', height: '6', patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' }, defs);
    sv('rect', { width: '6', height: '6', fill: '#fff' }, p);
    sv('rect', { width: '2.5', height: '6', fill: h[1] }, p);
  });
}

// Draws (or redraws, after a zoom) one pane's chart.
function drawPane(g) {
  // A short pane stretches to the window width, so its labels get the
  // room; state.colW (the zoom) is the floor shared by all panes.
  var avail = Math.max(window.innerWidth, 800) - LABEL_W - 60;
  g.W = Math.max(state.colW, Math.min(110, Math.floor(avail / Math.max(1, g.P.cols))));
  var P = g.P, ops = P.ops, W = g.W, i, k;
  var svg = g.svg, labels = g.labels;
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  while (labels.firstChild) labels.removeChild(labels.firstChild);
  var width = Math.max(P.cols * W + 40, 200);
  // Rows: annotation tags first, then clients.
  var y = AXIS_H, rowY = {}, tagY = [];
  for (k = 0; k < D.tags.length; k++) { tagY.push(y); y += ANN_H; }
  for (k = 0; k < g.rows.length; k++) { rowY[g.rows[k]] = y; y += g.rowLanes[g.rows[k]] * LANE_H + ROW_PAD; }
  // A footer strip below the rows holds the break label, clear of ops.
  var height = y + (P.illegal ? 18 : 6);
  g.rowsBottom = y;
  g.rowY = rowY; g.tagY = tagY; g.height = height; g.width = width;
  svg.setAttribute('width', width); svg.setAttribute('height', height);
  // Panes off screen skip layout and paint (content-visibility: auto); the
  // size hint keeps the scrollbar honest meanwhile.
  g.sec.style.containIntrinsicSize = 'auto ' + (height + 120) + 'px';
  labels.setAttribute('height', height);
  var frag = document.createDocumentFragment();
  var bg = sv('g', null, frag);
  for (k = 0; k < D.tags.length; k++) {
    sv('rect', { x: 0, y: tagY[k], width: width, height: ANN_H, 'class': 'row-odd' }, bg);
    sv('text', { x: 6, y: tagY[k] + 15, 'class': 'rowl', text: clip(str(D.tags[k]), 16) }, labels);
  }
  for (k = 0; k < g.rows.length; k++) {
    var r = g.rows[k];
    sv('rect', { x: 0, y: rowY[r], width: width, height: g.rowLanes[r] * LANE_H + ROW_PAD, 'class': k % 2 ? 'row-odd' : 'row-even' }, bg);
    sv('text', { x: 6, y: rowY[r] + 17, 'class': 'rowl', text: clientName(r) }, labels);
  }
  // Axis: a tick about every 100px, labelled with the relative real time of
  // the first event in that column.
  var colTime = new Float64Array(P.cols).fill(NaN);
  for (i = 0; i < g.n; i++) {
    var c0 = ops[i * OPK + OP_CALL], c1 = ops[i * OPK + OP_RET];
    if (!(colTime[c0] <= ops[i * OPK + OP_CT])) colTime[c0] = ops[i * OPK + OP_CT];
    if (c1 >= 0 && !(colTime[c1] <= ops[i * OPK + OP_RT])) colTime[c1] = ops[i * OPK + OP_RT];
  }
  var axis = sv('g', null, frag);
  var every = Math.max(1, Math.round(100 / W));
  for (k = 0; k < P.cols; k += every) {
    sv('line', { x1: k * W, x2: k * W, y1: AXIS_H - 6, y2: height, 'class': 'grid' }, axis);
    sv('text', { x: k * W + 2, y: 14, 'class': 'tick', text: 't=' + fmtRel(colTime[k]) }, axis);
  }
  sv('text', { x: 6, y: 14, 'class': 'tick', text: 'time \u2192' }, labels);
  // Annotations: client ones as translucent bands behind their row, others
  // on their tag's row.
  var ann = sv('g', { 'class': 'ann' }, frag);
  var annTop = sv('g', { 'class': 'ann' });
  var nAnn = D.ann.length / ANK;
  for (k = 0; k < nAnn; k++) {
    var A = D.ann.slice(k * ANK, (k + 1) * ANK);
    if (P.annX[2 * k] < 0) continue;
    var x0 = P.annX[2 * k] * W, x1 = P.annX[2 * k + 1] * W, ay, ah;
    if (A[0]) { ay = tagY[A[1]] + 2; ah = ANN_H - 4; }
    else if (rowY[A[1]] !== undefined) { ay = rowY[A[1]]; ah = g.rowLanes[A[1]] * LANE_H + ROW_PAD; }
    else continue;
    var bgc = str(A[7]) || (A[0] ? '#e0d7f5' : '#ffe9a8'), tc = str(A[6]) || '#333';
    var point = x1 - x0 < 3;
    // Client annotations sit behind the ops as bands; their points (a
    // crash, say) and labels go on top, or the ops would hide them.
    var layer = A[0] ? ann : annTop;
    if (point) {
      sv('line', { x1: x0, x2: x0, y1: ay, y2: ay + ah, stroke: bgc === '#ffe9a8' ? '#d49a00' : bgc, 'data-ann': k }, layer);
      sv('rect', { x: x0 - 4, y: ay, width: 8, height: ah, fill: 'transparent', 'data-ann': k }, layer);
    } else {
      sv('rect', { x: x0, y: ay, width: x1 - x0, height: ah, fill: bgc, 'class': A[0] ? 'aband' : 'cband', 'data-ann': k }, ann);
    }
    var room = point ? 24 : Math.floor((x1 - x0 - 6) / 6);
    if (room >= 3) sv('text', { x: x0 + 3, y: A[0] ? ay + 12 : ay + ah - 3, fill: A[0] ? tc : (str(A[6]) || '#7a1f1f'),
                               'class': A[0] ? '' : 'clabel', text: clip(str(A[4]), room) }, layer);
  }
  // Operations.
  var og = sv('g', { 'class': 'ops' }, frag), lg = sv('g', null, frag);
  for (i = 0; i < g.n; i++) {
    var b = i * OPK, row = ops[b + OP_CLIENT];
    var x = ops[b + OP_CALL] * W + 1.5, w = (g.end[i] - ops[b + OP_CALL] + 1) * W - 3;
    var yy = rowY[row] + g.lane[i] * LANE_H + 3;
    var cls = 'op';
    if (ops[b + OP_FLAGS] & F_UNKNOWN) cls += ' unk';
    if (ops[b + OP_FLAGS] & F_MISMATCH) cls += ' mismatch';
    var sub = '';
    if (P.illegal) sub = g.isNext[i] ? ' next' : g.inStuck[i] ? ' lin' : ' grey';
    else if (ops[b + OP_HOME] < 0 && P.partials.length) sub = ' nolin';
    cls += sub;
    sv('rect', { x: x, y: yy, width: Math.max(w, 2), height: LANE_H - 6, rx: 3, 'class': cls, 'data-op': i }, og);
    if (ops[b + OP_FLAGS] & F_UNKNOWN) {
      // An arrow off the right end: the operation never returned.
      var ax = x + Math.max(w, 2), am = yy + (LANE_H - 6) / 2;
      sv('path', { d: 'M' + ax + ' ' + (am - 5) + 'L' + (ax + 6) + ' ' + am + 'L' + ax + ' ' + (am + 5) + 'Z', 'class': 'unk-arrow' }, lg);
    }
    var chars = Math.floor((w - 6) / 6.3);
    if (chars >= 3) sv('text', { x: x + 4, y: yy + 14, 'class': 'opl' + sub, text: clip(str(ops[b + OP_DESC]), chars) }, lg);
  }
  frag.appendChild(annTop);
  g.overlay = sv('g', null, frag);
  g.hoverLayer = sv('g', null, frag);
  svg.appendChild(frag);
  g.rects = og.childNodes;
  drawStuck(g);
}

function lpXY(g, i, lpc) {
  var b = i * OPK, W = g.W;
  // On the box's lower edge, so the path does not run through labels.
  return [lpc * W, g.rowY[g.P.ops[b + OP_CLIENT]] + g.lane[i] * LANE_H + LANE_H - 5];
}

// Only the last PATH_STEPS steps of a partial linearization are drawn, as
// numbered points joined by a line: that is where the order matters, and a
// path through thousands of points is an unreadable zigzag. Hovering an
// earlier operation shows the steps that lead to it.
var PATH_STEPS = 12;
function drawPath(g, layer, j, upto, cls) {
  var lin = g.P.partials[j], pts = g.lps[j];
  if (!lin || !pts || upto < 0) return;
  upto = Math.min(upto, lin.length - 1);
  var from = Math.max(0, upto - PATH_STEPS + 1), d = [], k, p;
  for (k = from; k <= upto; k++) {
    p = lpXY(g, lin[k], pts[k]);
    d.push((k > from ? 'L' : 'M') + p[0].toFixed(1) + ' ' + p[1].toFixed(1));
  }
  sv('path', { d: d.join(''), 'class': 'path ' + cls }, layer);
  for (k = from; k <= upto; k++) {
    p = lpXY(g, lin[k], pts[k]);
    var label = String(k + 1), w = 6 * label.length + 6;
    sv('rect', { x: p[0] - w / 2, y: p[1] - 7, width: w, height: 14, rx: 7, 'class': 'lp ' + cls }, layer);
    sv('text', { x: p[0], y: p[1] + 3.5, 'class': 'lpn', text: label }, layer);
  }
}

function drawStuck(g) {
  var P = g.P, layer = g.overlay;
  while (layer.firstChild) layer.removeChild(layer.firstChild);
  var path = -1;
  if (P.illegal && P.stuck >= 0) path = P.stuck;
  else if (D.unknown && D.unknown.partition === g.pi) {
    for (var j = 0; j < P.partials.length; j++) if (path < 0 || P.partials[j].length > P.partials[path].length) path = j;
  }
  if (path < 0) return;
  var lin = P.partials[path], pts = g.lps[path];
  drawPath(g, layer, path, lin.length - 1, '');
  // The break: a dashed line just after the last linearization point.
  var bx = ((pts && pts.length) ? pts[pts.length - 1] : 0) * g.W + 2;
  if (P.illegal) {
    bx = Math.max(bx, 2);
    sv('line', { x1: bx, x2: bx, y1: AXIS_H - 4, y2: g.height, 'class': 'stuckline' }, layer);
    var right = bx > g.width - 320;
    sv('text', { x: right ? bx - 4 : bx + 4, y: g.height - 5, 'class': 'stucklabel', 'text-anchor': right ? 'end' : 'start',
                 text: 'stuck after ' + lin.length + ' operations: nothing can come next' }, layer);
  }
}

function opDetails(g, i) {
  var P = g.P, b = i * OPK, ops = P.ops, box = document.getElementById('details');
  while (box.firstChild) box.removeChild(box.firstChild);
  el('span', { cls: 'pin', text: state.pinned ? 'pinned \u2014 click empty space or Esc to unpin' : 'click to pin' }, box);
  el('h3', { text: 'Partition ' + g.pi + ', operation ' + i + ', ' + clientName(ops[b + OP_CLIENT]) }, box);
  var dl = el('dl', null, box);
  function row(k, v, code) { el('dt', { text: k }, dl); var dd = el('dd', null, dl); if (code) el('code', { text: v }, dd); else dd.textContent = v; }
  row('operation', str(ops[b + OP_DESC]), true);
  var unk = ops[b + OP_FLAGS] & F_UNKNOWN;
  function when(rel) { return 't=' + fmtRel(rel) + (D.clock || D.base !== '0' || Math.abs(rel) >= 10000 ? '  (' + absTime(rel) + ')' : ''); }
  row('call', when(ops[b + OP_CT]));
  row('return', unk ? 'never observed: it may take effect at any time after its call, or never' : when(ops[b + OP_RT]));
  var home = ops[b + OP_HOME];
  if (home >= 0) {
    row('linearized', '#' + (ops[b + OP_POS] + 1) + ' of ' + P.partials[home].length + ' in partial linearization ' + home +
      (P.illegal && home === P.stuck ? ' (the longest one)' : ''));
    var gone = '(left out to keep the page small; states nearer the error are kept)';
    row('state before', ops[b + OP_BEFORE] >= 0 ? str(ops[b + OP_BEFORE]) : gone, ops[b + OP_BEFORE] >= 0);
    row('state after', ops[b + OP_AFTER] >= 0 ? str(ops[b + OP_AFTER]) : gone, ops[b + OP_AFTER] >= 0);
  } else {
    row('linearized', g.isNext[i] ? 'no (see below)' : unk ? 'no: treated as never having taken effect' : P.illegal ? 'no: the search never got this far' : 'no');
  }
  if (g.isNext[i]) {
    el('div', { cls: 'warn', text: 'Cannot be linearized here: after the ' + P.partials[P.stuck].length +
      ' operations of the longest partial linearization the state is the one below, and ' +
      (ops[b + OP_FLAGS] & F_NEXT_LEGAL ? 'although the model accepts this operation in it, every order that continues with it fails later.' :
       'the model rejects this operation (with this output) in it.') }, box);
    var d2 = el('dl', null, box);
    el('dt', { text: 'state there' }, d2);
    el('code', { text: str(P.stuckState) }, el('dd', null, d2));
  }
  if (ops[b + OP_FLAGS] & F_MISMATCH) {
    el('div', { cls: 'warn', text: 'The model rejected this operation while replaying its partial linearization: the checker and the model disagree.' }, box);
  }
  box.className = 'shown';
}

function annDetails(k) {
  var A = D.ann.slice(k * ANK, (k + 1) * ANK), box = document.getElementById('details');
  while (box.firstChild) box.removeChild(box.firstChild);
  el('h3', { text: A[0] ? 'Annotation: ' + str(D.tags[A[1]]) : 'Annotation on ' + clientName(A[1]) }, box);
  var dl = el('dl', null, box);
  function row(key, v, code) { el('dt', { text: key }, dl); var dd = el('dd', null, dl); if (code) el('code', { text: v }, dd); else dd.textContent = v; }
  row('description', str(A[4]), true);
  if (A[5] >= 0) row('details', str(A[5]), true);
  row('time', A[2] === A[3] ? 't=' + fmtRel(A[2]) : 't=' + fmtRel(A[2]) + ' \u2026 ' + fmtRel(A[3]));
  box.className = 'shown';
}

function clearHover(g) {
  var h = document.querySelector('rect.op.hover');
  if (h) h.classList.remove('hover');
  if (!g || !g.hoverLayer) return;
  while (g.hoverLayer.firstChild) g.hoverLayer.removeChild(g.hoverLayer.firstChild);
}

function showOp(g, i) {
  clearHover(g);
  g.rects[i].classList.add('hover');
  var home = g.P.ops[i * OPK + OP_HOME];
  if (home >= 0) drawPath(g, g.hoverLayer, home, g.P.ops[i * OPK + OP_POS], 'hover');
  opDetails(g, i);
}

function onOver(g, e) {
  var t = e.target;
  if (state.pinned) return;
  if (t.hasAttribute('data-op')) showOp(g, +t.getAttribute('data-op'));
  else if (t.hasAttribute('data-ann')) annDetails(+t.getAttribute('data-ann'));
}
function onOut(g, e) {
  if (state.pinned) return;
  if (e.relatedTarget && g.svg.contains(e.relatedTarget) && (e.relatedTarget.hasAttribute('data-op') || e.relatedTarget.hasAttribute('data-ann'))) return;
  clearHover(g);
  document.getElementById('details').className = '';
}
function onClick(g, e) {
  var t = e.target;
  if (t.hasAttribute('data-op')) focusOp(g.pi, +t.getAttribute('data-op'), false);
  else unpin();
}
function unpin() {
  var f = document.querySelector('rect.op.focus');
  if (f) f.classList.remove('focus');
  if (state.pinned) clearHover(state.panes[state.pinned.p]);
  state.pinned = null;
  document.getElementById('details').className = '';
}

// Selects an operation: outlines it, pins its details and path, and, when
// asked, scrolls it into view.
function focusOp(pi, i, scroll) {
  unpin();
  var g = state.panes[pi];
  state.pinned = { p: pi, op: i };
  var r = g.rects[i];
  r.classList.add('focus');
  showOp(g, i);
  if (scroll) {
    g.sec.scrollIntoView({ block: 'start' });
    scrollToOp(g, i);
  }
}

function scrollToOp(g, i) {
  var x = g.P.ops[i * OPK + OP_CALL] * g.W;
  g.scroll.scrollLeft = Math.max(0, x - g.scroll.clientWidth / 3);
}

function jumpToFirst() {
  if (!D.first) return;
  var g = state.panes[D.first.p];
  if (D.first.op >= 0) focusOp(D.first.p, D.first.op, true);
  else {
    g.sec.scrollIntoView({ block: 'start' });
    var path = g.lps[g.P.stuck];
    if (path && path.length) g.scroll.scrollLeft = Math.max(0, path[path.length - 1] * g.W - g.scroll.clientWidth / 2);
  }
}

function renderAll() {
  for (var k = 0; k < state.panes.length; k++) drawPane(state.panes[k]);
  if (state.pinned) { var p = state.pinned; state.pinned = null; focusOp(p.p, p.op, false); }
}

function initialColW() {
  // Fit the widest pane on screen when that leaves room for labels;
  // otherwise make a typical operation wide enough for a short label and
  // let the pane scroll. The zoom slider overrides it.
  var maxCols = 1, spans = [];
  for (var k = 0; k < D.parts.length; k++) {
    var P = D.parts[k];
    maxCols = Math.max(maxCols, P.cols);
    for (var b = 0; b < P.ops.length && spans.length < 20000; b += OPK) if (P.ops[b + OP_RET] >= 0) spans.push(P.ops[b + OP_RET] - P.ops[b + OP_CALL] + 1);
  }
  spans.sort(function (a, b) { return a - b; });
  var median = spans.length ? spans[spans.length >> 1] : 2;
  var fit = Math.floor((Math.max(window.innerWidth, 800) - LABEL_W - 60) / maxCols);
  var readable = Math.ceil(70 / median);
  return Math.max(6, Math.min(110, Math.max(fit, Math.min(readable, 60))));
}

var t0 = performance.now();
function main() {
  var app = document.getElementById('app');
  while (app.firstChild) app.removeChild(app.firstChild);
  state.colW = initialColW();
  // Patterns live in their own always-rendered svg: a pattern inside a
  // pane hidden by the filter would stop painting in every other pane.
  hatchDefs(sv('svg', { width: 0, height: 0, style: 'position:absolute' }, document.body));
  buildHeader(app);
  var panes = el('div', { id: 'panes' }, app);
  // Problem partitions first, so the error is on screen without
  // scrolling; the rest keep their order.
  var order = D.parts.map(function (_, i) { return i; });
  function rank(i) { return D.parts[i].illegal ? 0 : D.parts[i].undecided || (D.unknown && D.unknown.partition === i) ? 1 : 2; }
  order.sort(function (a, b) { return rank(a) - rank(b) || a - b; });
  state.panes = new Array(D.parts.length);
  for (var q = 0; q < order.length; q++) {
    var g = prepare(order[q]);
    buildPane(panes, g);
    state.panes[order[q]] = g;
  }
  if (!D.parts.length) el('p', { text: 'No operations.' }, panes);
  el('div', { id: 'details' }, document.body);
  renderAll();
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape') unpin(); });
  // If there is an error, start scrolled to it: that is what a student
  // opens the page for.
  if (D.verdict === 'Illegal' && D.first && D.first.op >= 0 && location.hash !== '#selftest') {
    focusOp(D.first.p, D.first.op, false);
    scrollToOp(state.panes[D.first.p], D.first.op);
  }
}
var mainError = null;
try { main(); } catch (e) { mainError = 'render: ' + (e && e.stack || e); }
var renderMs = performance.now() - t0;

// Self-test, for the headless browser test: checks what was drawn, clicks
// the jump button and reports as JSON in the DOM (read with --dump-dom).
if (location.hash === '#selftest') {
  var res = { loadMs: performance.now(), renderMs: renderMs, errors: [], focus: null, detailsShown: false };
  // Written even when rendering failed: the errors are the result then.
  try {
    res.verdict = (document.getElementById('verdict') || {}).textContent;
    res.opsDrawn = document.querySelectorAll('svg.plot rect.op').length;
    res.partsDrawn = document.querySelectorAll('section.pane').length;
    res.nextDrawn = document.querySelectorAll('svg.plot rect.op.next').length;
    res.resources = performance.getEntriesByType('resource').length;
    res.opsTotal = 0; res.nextTotal = 0; res.annTotal = D.ann.length / ANK;
    for (var q = 0; q < D.parts.length; q++) { res.opsTotal += D.parts[q].ops.length / OPK; res.nextTotal += D.parts[q].next.length; }
    var seen = {};
    document.querySelectorAll('svg.plot [data-ann]').forEach(function (e) { seen[e.closest('section').id + '/' + e.getAttribute('data-ann')] = 1; });
    res.annDrawn = Object.keys(seen).length;
    res.first = D.first || null;
    if (mainError) throw new Error('not rendered');
    // Reading a layout property forces style and layout of everything
    // drawn: this is when the page can first be painted.
    void document.body.offsetHeight;
    res.layoutMs = performance.now();
    document.getElementById('jump').click();
    var f = document.querySelectorAll('rect.op.focus');
    res.focusCount = f.length;
    if (f.length) res.focus = { p: +f[0].closest('section').id.slice(5), op: +f[0].getAttribute('data-op'), next: f[0].classList.contains('next') };
    res.detailsShown = document.getElementById('details').className === 'shown';
    res.detailsText = document.getElementById('details').textContent.slice(0, 2000);
    // Hover the last operation before the break, as a mouse would.
    unpin();
    var fpart = D.parts[D.first.p], lin = fpart.partials[fpart.stuck];
    if (lin && lin.length) {
      res.hoverOp = lin[lin.length - 1];
      state.panes[D.first.p].rects[res.hoverOp].dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
      res.hoverText = document.getElementById('details').textContent.slice(0, 2000);
      res.hoverPathPoints = state.panes[D.first.p].hoverLayer.querySelectorAll('rect.lp').length;
    }
    // What laying out every pane at once would cost, had the off-screen
    // ones not been deferred.
    var t1 = performance.now();
    document.body.classList.add('all-visible');
    void document.body.offsetHeight;
    res.fullLayoutMs = performance.now() - t1;
    document.body.classList.remove('all-visible');
    // The controls: zooming redraws every operation; the filter leaves
    // only the problem partitions.
    var zoom = document.getElementById('zoom');
    zoom.value = zoom.min;
    zoom.dispatchEvent(new Event('change'));
    res.zoomOpsDrawn = document.querySelectorAll('svg.plot rect.op').length;
    var only = document.getElementById('only-bad');
    only.click();
    res.filteredPanes = Array.prototype.filter.call(document.querySelectorAll('section.pane'), function (e) { return getComputedStyle(e).display !== 'none'; }).length;
    only.click();
  } catch (e) { res.errors.push('selftest: ' + e.message); }
  if (mainError) res.errors.push(mainError);
  res.errors = res.errors.concat(window.visErrors || []);
  var pre = document.createElement('pre');
  pre.id = 'selftest';
  pre.textContent = JSON.stringify(res);
  document.body.appendChild(pre);
}
})();
