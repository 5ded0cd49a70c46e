/* report-model.js - the sequence diagram of a long run, drawn in the page
 * from the diagram's model (sim/report/html_model.c) rather than carried as
 * SVG.  The geometry is the model's, so the layout is sequence.svg's; the
 * colours are diagram_colours.c's.  Only what is in view (and one screen above
 * and below) is in the document, however long the run: the pane keeps a
 * spacer of the diagram's full height and the drawing follows the scroll.
 *
 * window.mailsimModelView(model, arrowEls, classOf) returns the view;
 * report.js uses it where it would use the SVG of a short run.  arrowEls is
 * the caller's map arrow -> {edge, label}, kept to what is drawn; classOf(a)
 * gives the classes arrow a is drawn with (sent, flying, selected).
 */
window.mailsimModelView = function (model, arrowEls, classOf) {
  'use strict';

  var NS = 'http://www.w3.org/2000/svg';
  /* The colours of sequence.svg, from the one table on the C side
   * (diagram_colours.c), which html.c writes into the page as CSS custom
   * properties: per flow (other, push, pull, tcp) its line, its text, its
   * band's fill and edge. */
  var FLOW_NAME = ['other', 'push', 'pull', 'tcp'];
  var css = getComputedStyle(document.documentElement);
  function colour(name) { return css.getPropertyValue('--' + name).trim(); }
  function flowColours(suffix) {
    return FLOW_NAME.map(function (f) { return colour('flow-' + f + suffix); });
  }
  var FLOW = flowColours(''), FLOW_TEXT = flowColours('-text');
  var BAND_FILL = flowColours('-band'), BAND_EDGE = flowColours('-band-edge');
  var LOST = colour('lost'), LIFELINE = colour('lifeline');
  var K = model.k, lang = 'en';
  var off = [], width = 0, height = 0, scale = 1;
  var byTop = [], span = 0;           /* arrows by their top; longest drop */
  var noteTop = [], tickTop = [], noteTall = 0;  /* the tallest note, at least */
  var drawnFrom = 1, drawnTo = 0, bodyTop = 0;
  var root, pane, body, view, over, head, headBox;
  /* Per arrow, from page.arrows (report.js sets them): its page, and
   * whether it is a TCP segment (kind 1). */
  var pageOf = model.pageOf || [], kindOf = model.kindOf || [];

  (function place() {
    var y = 0;
    for (var p = 0; p < model.pages.length; p++) {
      off.push(y);
      y += model.pages[p][1];
      width = Math.max(width, model.pages[p][0]);
    }
    height = y;
    for (var a = 0; a < model.arrows.length; a++) {
      var m = model.arrows[a], top = Math.min(m[4], m[6]);
      byTop.push(a);
      span = Math.max(span, Math.abs(m[6] - m[4]));
      m.top = top;
    }
    byTop.sort(function (x, z) {
      return gy(x) - gy(z) || x - z;
    });
    for (var n = 0; n < model.notes.length; n++) {
      noteTop.push(off[model.notes[n][0]] + model.notes[n][2]);
      var rows = model.notes[n][3], text = typeof rows === 'string' ? rows : rows.join('\n');
      noteTall = Math.max(noteTall, K.note_h + text.split('\n').length * K.small_pt * 1.2);
    }
    for (var t = 0; t < model.ticks.length; t++) tickTop.push(off[model.ticks[t][0]] + model.ticks[t][1]);
  })();

  function gy(a) { return off[pageOf[a] || 0] + model.arrows[a].top; }

  function words(w) { return typeof w === 'string' ? w : (lang === 'zh' ? w[1] : w[0]); }

  function el(name, attrs, parent, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) if (attrs[k] !== null) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  /* First index i of sorted (by key) with key(i) >= v. */
  function lower(n, key, v) {
    var lo = 0, hi = n;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (key(mid) < v) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  /* A text's width in points, near enough for a white box behind it. */
  function textWidth(s, pt, mono) {
    var w = 0;
    for (var i = 0; i < s.length; i++) w += s.charCodeAt(i) > 0x2e7f ? pt : (mono ? 0.6 : 0.55) * pt;
    return w;
  }

  /* A text of one or more rows ("\n" between them) centred at x, its
   * first row's baseline at y, a row every 1.2 em as Graphviz draws them. */
  function rowsText(parent, x, y, rows, pt, family, colour) {
    var t = el('text', { x: x, y: y, 'text-anchor': 'middle', 'font-size': pt,
                         'font-family': family, fill: colour }, parent);
    rows.forEach(function (row, i) {
      el('tspan', { x: x, dy: i === 0 ? 0 : pt * 1.2 }, t, row);
    });
    return t;
  }

  function label(parent, x, y, s, pt, mono, colour, attrs) {
    var rows = s.split('\n'), w = 0;
    rows.forEach(function (row) { w = Math.max(w, textWidth(row, pt, mono) + 4); });
    var h = pt * 1.3 + (rows.length - 1) * pt * 1.2;
    var g = el('g', attrs || {}, parent);
    el('rect', { x: x - w / 2, y: y - h / 2, width: w, height: h, fill: 'white' }, g);
    rowsText(g, x, y - h / 2 + pt * 1.0, rows, pt,
             mono ? 'Courier,monospace' : 'Helvetica,sans-serif', colour);
    return g;
  }

  function heads(parent, y0) {
    var cy = y0 + K.head_h / 2;
    model.lifelines.forEach(function (l) {
      el('rect', { x: l[2] - (K.column - 50) / 2, y: y0, width: K.column - 50, height: K.head_h,
                   rx: 6, fill: '#f5f5f5', stroke: '#555555' }, parent);
      el('text', { x: l[2], y: cy - 3, 'text-anchor': 'middle', 'font-size': 11,
                   'font-weight': 'bold', 'font-family': 'Helvetica,sans-serif', fill: '#111111' },
         parent, l[0].length > 30 ? l[0].slice(0, 29) + '…' : l[0]);
      el('text', { x: l[2], y: cy + 11, 'text-anchor': 'middle', 'font-size': K.small_pt,
                   'font-family': 'Helvetica,sans-serif', fill: '#555555' }, parent, words(l[1]));
    });
  }

  function legend(parent, y, ui) {
    var x = K.axis_x + 12;
    function item(colour, dash, s, flow) {
      var g = el('g', { 'class': 'legend-item' + (flow ? ' f-' + flow : '') }, parent);
      el('path', { d: 'M' + x + ' ' + y + 'H' + (x + 28), stroke: colour, 'stroke-width': 1.5,
                   'stroke-dasharray': dash, fill: 'none' }, g);
      x += 34;
      el('text', { x: x, y: y + 3, 'font-size': K.small_pt, 'font-family': 'Helvetica,sans-serif',
                   fill: '#333333' }, g, s);
      x += textWidth(s, K.small_pt, false) + 18;
    }
    item(FLOW[1], null, ui('legend-push'), 'push');
    item(FLOW[2], null, ui('legend-pull'), 'pull');
    if (model.has[0]) item(FLOW[3], null, ui('segment'));
    if (model.has[1]) item(FLOW[3], '5,2', ui('legend-retransmit'));
    if (model.has[2]) item(LOST, null, ui('legend-lost'));
    if (model.has[3]) item('#444444', null, ui('legend-refused'));
  }

  /* Everything with a part between y1 and y2 (global points). */
  function drawRange(y1, y2) {
    while (view.firstChild) view.removeChild(view.firstChild);
    for (var k in arrowEls) delete arrowEls[k];
    var bands = el('g', {}, view), deco = el('g', {}, view), marks = el('g', {}, view);
    var lanesX = model.lifelines.length ? model.lifelines[model.lifelines.length - 1][2] + 100 : 0;
    model.bands.forEach(function (b) {
      var o = off[b[0]], t = o + b[5], u = o + Math.max(b[6], b[5] + 2);
      if (u < y1 || t > y2) return;
      var xl = model.lifelines[b[1]][2], xr = model.lifelines[b[2]][2];
      el('rect', { x: xl, y: t, width: xr - xl, height: u - t, fill: BAND_FILL[b[4]] }, bands);
      var bx = lanesX + b[3] * K.lane;
      el('path', { d: 'M' + bx + ' ' + (t + 1) + 'V' + (u - 1), stroke: BAND_EDGE[b[4]],
                   'stroke-width': 2.5 }, deco);
      el('text', { x: bx + 6, y: (t + u) / 2 + 3, 'font-size': K.small_pt,
                   'font-family': 'Helvetica,sans-serif', fill: FLOW_TEXT[b[4]] }, deco, words(b[7]));
    });
    /* Pages: title, legend and heads at the top of each; lifelines and
     * the axis, cut at each break. */
    for (var p = 0; p < model.pages.length; p++) {
      var o = off[p], pg = model.pages[p], top = Math.max(y1, o + pg[2]);
      var bottom = Math.min(y2, o + pg[1] - K.bottom + 8);
      if (o < y2 && o + pg[2] > y1) {
        var title = words(model.title) + (model.pages.length > 1 ? ' (' + (p + 1) + '/' +
          model.pages.length + ')' : '');
        el('text', { x: pg[0] / 2, y: o + K.title_y + 5, 'text-anchor': 'middle', 'font-size': 14,
                     'font-weight': 'bold', 'font-family': 'Helvetica,sans-serif' }, deco, title);
        legend(deco, o + K.legend_y, view.ui);
        heads(deco, o + K.head_y);
      }
      if (top >= bottom) continue;
      var cuts = [[top, bottom]];
      model.breaks.forEach(function (b) {
        if (b[0] !== p) return;
        var c = cuts[cuts.length - 1], b1 = o + b[1], b2 = o + b[2];
        if (b2 < c[0] || b1 > c[1]) return;
        cuts[cuts.length - 1] = [c[0], Math.max(c[0], b1)];
        cuts.push([Math.min(c[1], b2), c[1]]);
        var mid = (b1 + b2) / 2;
        el('text', { x: K.axis_x, y: mid + 5, 'text-anchor': 'middle', 'font-size': 14 }, marks, '≈');
        model.lifelines.forEach(function (l) {
          el('text', { x: l[2], y: mid + 5, 'text-anchor': 'middle', 'font-size': 14,
                       fill: '#666666' }, marks, '≈');
        });
        var lx = model.lifelines.length ? (K.axis_x + model.lifelines[0][2]) / 2 : K.axis_x + 60;
        label(marks, lx, mid, words(b[3]), K.small_pt, false, '#444444');
      });
      cuts.forEach(function (c) {
        if (c[1] <= c[0]) return;
        el('path', { d: 'M' + K.axis_x + ' ' + c[0] + 'V' + c[1], stroke: '#444444' }, deco);
        model.lifelines.forEach(function (l) {
          el('path', { d: 'M' + l[2] + ' ' + c[0] + 'V' + c[1], stroke: LIFELINE,
                       'stroke-dasharray': '5,2' }, deco);
        });
      });
    }
    for (var t = lower(tickTop.length, function (i) { return tickTop[i]; }, y1);
         t < tickTop.length && tickTop[t] <= y2; t++) {
      el('path', { d: 'M' + (K.axis_x - 3) + ' ' + tickTop[t] + 'H' + (K.axis_x + 3),
                   stroke: '#444444' }, deco);
      /* An instant's tick again: joined to the one that says its time. */
      if (model.ticks[t].length > 3)
        el('path', { d: 'M' + (K.axis_x - 3) + ' ' + (tickTop[t] - model.ticks[t][1] + model.ticks[t][3]) +
                     'V' + tickTop[t], stroke: '#444444' }, deco);
      el('text', { x: K.axis_x - 6, y: tickTop[t] + 3, 'text-anchor': 'end', 'font-size': K.small_pt,
                   'font-family': 'Courier,monospace', fill: '#444444' }, deco, model.ticks[t][2]);
    }
    for (var n = lower(noteTop.length, function (i) { return noteTop[i]; }, y1 - noteTall);
         n < noteTop.length && noteTop[n] <= y2; n++) {
      var note = model.notes[n], rows = words(note[3]).split('\n'), x = model.lifelines[note[1]][2];
      var w = 0, h = K.note_h + (rows.length - 1) * K.small_pt * 1.2;
      rows.forEach(function (row) { w = Math.max(w, textWidth(row, K.small_pt, false) + 10); });
      el('rect', { x: x - w / 2, y: noteTop[n], width: w, height: h, rx: 4,
                   fill: '#fff7d6', stroke: '#c9b458' }, marks);
      rowsText(marks, x, noteTop[n] + h / 2 + 3 - (rows.length - 1) * K.small_pt * 0.6, rows,
               K.small_pt, 'Helvetica,sans-serif', '#4a4020');
    }
    for (var i = lower(byTop.length, function (j) { return gy(byTop[j]); }, y1 - span);
         i < byTop.length && gy(byTop[i]) <= y2; i++)
      drawArrow(byTop[i], marks);
    drawnFrom = y1;
    drawnTo = y2;
  }

  function drawArrow(a, parent) {
    var m = model.arrows[a], o = off[pageOf[a] || 0];
    var x1 = m[3], y1 = o + m[4], x2 = m[5], y2 = o + m[6];
    var seg = kindOf[a] === 1;
    var cls = 'arw f-' + FLOW_NAME[m[2]] + ' ' + classOf(a);
    var g = el('g', { id: 'a' + a, 'class': cls }, parent);
    var len = Math.sqrt((x2 - x1) * (x2 - x1) + (y2 - y1) * (y2 - y1)), head = seg ? 6 : 8;
    var bx = x2, by = y2;
    /* m[7]: 1 lost (a cross short of the receiver), 2 a SYN refused with a
     * RST (a bar across its end, on the receiver's lifeline) */
    if (!m[7] && len > head) {
      bx = x2 - (x2 - x1) / len * head;
      by = y2 - (y2 - y1) / len * head;
    }
    el('path', { d: 'M' + x1 + ',' + y1 + 'L' + bx + ',' + by, fill: 'none', stroke: FLOW[m[2]],
                 'stroke-width': seg ? 0.9 : 1.3,
                 'stroke-dasharray': m[8] > 0 ? '5,2' : null }, g);
    if (!m[7] && len > head) {
      var ux = (x2 - x1) / len, uy = (y2 - y1) / len, wx = -uy * head * 0.4, wy = ux * head * 0.4;
      el('polygon', { points: x2 + ',' + y2 + ' ' + (bx + wx) + ',' + (by + wy) + ' ' + (bx - wx) +
                      ',' + (by - wy), fill: FLOW[m[2]], stroke: FLOW[m[2]] }, g);
    }
    var lab = label(parent, m[11], o + m[10], words(m[9]),
                    seg ? K.small_pt : K.line_pt, !seg, FLOW_TEXT[m[2]],
                    { id: 'al' + a, 'class': cls });
    if (m[7] === 1)
      el('text', { x: x2, y: y2 + 5, 'text-anchor': 'middle', 'font-size': 13, fill: LOST },
         g, '✕');
    if (m[7] === 2 && len > 0) {
      var vx = -(y2 - y1) / len * 7, vy = (x2 - x1) / len * 7;
      el('path', { d: 'M' + (x2 - vx) + ',' + (y2 - vy) + 'L' + (x2 + vx) + ',' + (y2 + vy),
                   stroke: LOST, 'stroke-width': 2.6, fill: 'none' }, g);
    }
    arrowEls[a] = { edge: g, label: lab };
  }

  /* Redraws when the view leaves what is drawn. */
  function follow(force) {
    var top = (pane.scrollTop - bodyTop) / scale, h = pane.clientHeight / scale;
    if (force || top < drawnFrom || top + h > drawnTo)
      drawRange(top - h, top + 2 * h);
    headBox.style.visibility = top > K.head_y + K.head_h ? 'visible' : 'hidden';
  }

  var pending = false;
  function onScroll() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; follow(false); });
  }

  return {
    /* Builds the view in container (inside the scrolling pane). */
    mount: function (container, scrollPane, ui, pxPerPoint) {
      root = container;
      pane = scrollPane;
      root.innerHTML = '';
      root.classList.add('model');
      scale = pxPerPoint;
      headBox = document.createElement('div');
      headBox.className = 'model-head';
      root.appendChild(headBox);
      head = el('svg', { width: width * scale, height: (K.head_h + 8) * scale,
                         viewBox: '0 ' + (K.head_y - 4) + ' ' + width + ' ' + (K.head_h + 8) },
                headBox);
      body = el('svg', { width: width * scale, height: height * scale,
                         viewBox: '0 0 ' + width + ' ' + height, 'class': 'model-body' }, root);
      this.setScale(scale);
      el('rect', { x: 0, y: 0, width: width, height: height, fill: 'white' }, body);
      view = el('g', {}, body);
      view.ui = ui;
      over = el('g', {}, body);
      heads(head, K.head_y);
      bodyTop = body.getBoundingClientRect().top - pane.getBoundingClientRect().top + pane.scrollTop;
      pane.addEventListener('scroll', onScroll);
      follow(true);
    },
    /* CSS pixels per point. */
    setScale: function (s) {
      scale = s;
      if (!body) return;
      head.style.width = body.style.width = width * scale + 'px';
      head.style.height = (K.head_h + 8) * scale + 'px';
      body.style.height = height * scale + 'px';
      if (view) follow(true);
    },
    setLang: function (l) {
      lang = l;
      if (!head) return;
      while (head.firstChild) head.removeChild(head.firstChild);
      heads(head, K.head_y);
      follow(true);
    },
    /* Where arrow a starts and ends, in the drawing's coordinates. */
    geometry: function (a) {
      var m = model.arrows[a], o = off[pageOf[a] || 0];
      return { x: m[3], y: o + m[4], x2: m[5], y2: o + m[6], graph: over };
    },
    bounds: function () { return { x1: K.axis_x - 60, x2: width }; },
    /* Scrolls arrow a into the middle of the pane, if it is not in view. */
    reveal: function (a) {
      var g = this.geometry(a), y = (g.y + g.y2) / 2 * scale + bodyTop;
      var x = (g.x + g.x2) / 2 * scale;
      if (y < pane.scrollTop + 40 || y > pane.scrollTop + pane.clientHeight - 40)
        pane.scrollTop = y - pane.clientHeight / 2;
      if (x < pane.scrollLeft + 40 || x > pane.scrollLeft + pane.clientWidth - 40)
        pane.scrollLeft = x - pane.clientWidth / 2;
      follow(false);
    },
    /* How many elements the drawing has now (the bench reports it). */
    size: function () { return body.getElementsByTagName('*').length; }
  };
};
