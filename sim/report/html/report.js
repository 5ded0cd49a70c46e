/* report.js - steps through a run in the browser.
 *
 * Reads the two data blocks the program put into the page: the trace,
 * exactly as trace.json has it (docs/trace-format.md), and what only the
 * program knows (the diagram's SVG in English and Chinese, which record each
 * arrow draws, and the words of notes, phases and events in both
 * languages).  Everything is built once, in one pass over the records; the
 * cursor then moves over the protocol lines, and each move touches only
 * what changed.
 *
 * The cursor is a position over the lines: an integer is "line k was just
 * sent", a fraction is simulated time between two lines.  The slider and
 * play move it smoothly; the arrow keys step one line.
 */
(function () {
  'use strict';

  /* The page's own words; every key has both languages (a test checks). */
  var UI = {
    'first': { en: 'Go to the start', zh: '回到开头' },
    'prev': { en: 'Previous line (←)', zh: '上一行（←）' },
    'play': { en: 'Play / pause (space)', zh: '播放 / 暂停（空格）' },
    'next': { en: 'Next line (→)', zh: '下一行（→）' },
    'last': { en: 'Go to the end', zh: '跳到结尾' },
    'slider': { en: 'Simulated time', zh: '模拟时间' },
    'speed': { en: 'Speed', zh: '速度' },
    'lines-per-second': { en: 'lines/s', zh: '行/秒' },
    'keys': { en: '← → step · space play/pause · Home/End · − + zoom', zh: '← → 单步 · 空格 播放/暂停 · Home/End · − + 缩放' },
    'zoom-out': { en: 'Smaller diagram (−)', zh: '缩小时序图（−）' },
    'zoom-in': { en: 'Larger diagram (+)', zh: '放大时序图（+）' },
    'diagram': { en: 'Sequence diagram', zh: '时序图' },
    'lang-button': { en: '中文', zh: 'English' },
    'start': { en: 'Before the first line. Press → or space.', zh: '第一行之前。按 → 或空格开始。' },
    'line-of': { en: 'Protocol line {1} of {2}', zh: '协议行 {1} / {2}' },
    'segment': { en: 'TCP segment', zh: 'TCP 报文段' },
    'as-sent': { en: 'As sent', zh: '实际发送的内容' },
    'from-to': { en: 'From → to', zh: '发送方 → 接收方' },
    'client': { en: 'client', zh: '客户端' },
    'server': { en: 'server', zh: '服务器' },
    'annotation': { en: 'Annotation', zh: '注释' },
    'phase': { en: 'Phase', zh: '阶段' },
    'connection': { en: 'Connection', zh: '连接' },
    'sent-at': { en: 'Sent', zh: '发送时间' },
    'arrived-at': { en: 'Arrived', zh: '到达时间' },
    'transit': { en: 'in transit {1}', zh: '传输用时 {1}' },
    'never-arrived': { en: 'never arrived', zh: '未到达' },
    'eol-crlf': { en: 'ends with CR LF', zh: '以 CR LF 结尾' },
    'eol-lf': { en: 'bare LF: not a proper line end', zh: '只有 LF：不是规范的行结束符' },
    'eol-cr': { en: 'bare CR: not a proper line end', zh: '只有 CR：不是规范的行结束符' },
    'eol-none': { en: 'no line end', zh: '没有行结束符' },
    'message': { en: 'The message ({1} lines)', zh: '这封邮件（{1} 行）' },
    'headers': { en: 'Header fields', zh: '首部字段' },
    'part': { en: 'Part {1}', zh: '第 {1} 部分' },
    'bytes': { en: '{1} bytes', zh: '{1} 字节' },
    'encoded-as': { en: 'sent as {1}', zh: '传输编码 {1}' },
    'no-preview': { en: 'not shown (binary)', zh: '不显示（二进制）' },
    'state-at': { en: 'State at {1}', zh: '{1} 时的状态' },
    'mailboxes': { en: 'Mailboxes on the servers', zh: '服务器上的邮箱' },
    'empty': { en: 'empty', zh: '空' },
    'messages-1': { en: '{1} message', zh: '{1} 封邮件' },
    'messages-n': { en: '{1} messages', zh: '{1} 封邮件' },
    'queues': { en: 'Outgoing queues', zh: '发送队列' },
    'queue-waiting': { en: 'waiting, attempt {1} failed; next attempt at {2} (in {3})', zh: '等待中，第 {1} 次尝试失败；下次尝试在 {2}（还有 {3}）' },
    'queue-relaying': { en: 'being relayed (attempt {1})', zh: '正在转发（第 {1} 次尝试）' },
    'queue-new': { en: 'queued, not yet tried', zh: '已入队，尚未尝试' },
    'queue-since': { en: 'in the queue for {1}', zh: '已在队列中 {1}' },
    'copies': { en: 'Downloaded by user agents', zh: '用户代理已取回的邮件' },
    'none-yet': { en: 'nothing yet', zh: '还没有' },
    'nothing': { en: 'nothing', zh: '什么也没有' },
    'checked-at': { en: '(last looked at its mailbox at {1})', zh: '（最近一次查看邮箱：{1}）' },
    'conns': { en: 'Open connections', zh: '打开的连接' },
    'conn-opening': { en: 'opening (handshake)', zh: '正在建立（握手）' },
    'conn-open': { en: 'open', zh: '已建立' },
    'none': { en: 'none', zh: '无' },
    'down': { en: 'Hosts and links down', zh: '停机的主机和链路' },
    'events': { en: 'Latest events', zh: '最近的事件' },
    'earlier-n': { en: '… {1} earlier ones not listed', zh: '…… 另有 {1} 封较早的未列出' },
    'more-n': { en: '… {1} more not listed', zh: '…… 另有 {1} 封未列出' },
    'latest': { en: 'the latest:', zh: '最近的：' },
    'fetched-by': { en: 'fetched by {1}', zh: '已被 {1} 取回' },
    'no-flags': { en: 'no IMAP flags', zh: '无 IMAP 标志' },
    'flag-seen': { en: 'read', zh: '已读' },
    'flag-answered': { en: 'answered', zh: '已回复' },
    'flag-flagged': { en: 'flagged for attention', zh: '已加旗标（重要）' },
    'flag-deleted': { en: 'marked for deletion (removed at EXPUNGE)', zh: '已标记删除（EXPUNGE 时移除）' },
    'flag-draft': { en: 'draft', zh: '草稿' },
    'summary': { en: 'Summary: push and pull', zh: '小结：推与拉' },
    'exchanges': { en: 'Connections (exchanges)', zh: '连接（交互）' },
    'col-conn': { en: 'Conn.', zh: '连接' },
    'col-protocol': { en: 'Protocol', zh: '协议' },
    'col-who': { en: 'Client → server', zh: '客户端 → 服务器' },
    'col-kind': { en: 'Push or pull', zh: '推或拉' },
    'col-rtt': { en: 'Round trips', zh: '往返次数' },
    'col-bytes': { en: 'Bytes C→S / S→C', zh: '字节数 客户端→服务器 / 服务器→客户端' },
    'col-duration': { en: 'Duration', zh: '持续时间' },
    'col-messages': { en: 'Messages', zh: '邮件数' },
    'push': { en: 'push (the opener sends the mail)', zh: '推（发起连接的一方送出邮件）' },
    'pull': { en: 'pull (the opener fetches the mail)', zh: '拉（发起连接的一方取回邮件）' },
    'other': { en: 'other', zh: '其他' },
    'push-pull': { en: 'Push vs pull, per protocol', zh: '各协议的推与拉' },
    'delays': { en: 'Delay of each message, stage by stage (bars to one scale)', zh: '每封邮件各阶段的时延（条形按同一比例绘制）' },
    'col-message': { en: 'Message → mailbox', zh: '邮件 → 邮箱' },
    'col-total': { en: 'End to end', zh: '端到端' },
    'col-stages': { en: 'Stages', zh: '各阶段' },
    'scale': { en: 'Full width = {1}', zh: '整条宽度 = {1}' },
    'not-seen': { en: 'not read yet', zh: '尚未被读取' },
    'stage-submission': { en: 'submission', zh: '提交' },
    'stage-queue': { en: 'queue', zh: '排队' },
    'stage-relay': { en: 'relay', zh: '转发' },
    'stage-mailbox': { en: 'in the mailbox', zh: '在邮箱中等待' },
    'stage-retrieval': { en: 'retrieval', zh: '取回' },
    'legend-push': { en: 'push: SMTP', zh: '推送：SMTP' },
    'legend-pull': { en: 'pull: POP3, IMAP, HTTP', zh: '拉取：POP3、IMAP、HTTP' },
    'legend-retransmit': { en: 'retransmission', zh: '重传' },
    'legend-lost': { en: '✕ lost', zh: '✕ 丢失' },
    'legend-refused': { en: '⊣ refused (RST)', zh: '⊣ 被拒绝（RST）' },
    'bad-trace': { en: 'This page cannot read its trace: {1}', zh: '本页无法读取其跟踪数据：{1}' },
    'no-lines': { en: 'This run has no protocol lines.', zh: '本次运行没有协议行。' },
    'window': { en: 'This page shows only the first part of the run: {1} of its {2} protocol lines, up to {3} of simulated time; the diagram and the summary cover that part only. transcript.txt and trace.json beside this page have the whole run (mailsim run --html-lines 0 puts all of it here, slow to open).',
      zh: '本页只显示本次运行的前一部分：共 {2} 条协议行中的前 {1} 条，截至模拟时间 {3}；时序图和小结也只涵盖这一部分。本页旁边的 transcript.txt 和 trace.json 有完整的运行记录（mailsim run --html-lines 0 可把全部内容放进本页，但打开很慢）。' },
    'binary': { en: '{1} octets sent as they are (not text, not shown)', zh: '按原样发送的 {1} 个八位组（不是文本，不显示）' }
  };

  var lang = 'en';
  var trace, page, R, lines = [], lineIndex = {}, conns = {};
  var arrows = [], arrowOf = {}, arrowEls = {}, order = [], maxFlight = 0;
  var blockOf = {}, subjectOf = {}, retryNext = {};
  var pos = -1;            /* cursor: -1 before the first line */
  var selected = -1;       /* record id shown in the details panel */
  var playing = false, lastFrame = 0;
  var applied = 0, world = null;
  var sentUpTo = 0, flyingEls = [], drawn = {};
  var svgLang = null, cursorEls = null;
  var modelView = null;    /* a long run's diagram, drawn from its model */
  var zoom = 0;            /* CSS pixels per point of the diagram; 0: not yet set */
  var rankOf = [], selectedArrow = -1;

  function $(id) { return document.getElementById(id); }

  function tr(key) {
    var e = UI[key];
    var s = e ? (e[lang] || e.en) : key;
    for (var i = 1; i < arguments.length; i++)
      s = s.split('{' + i + '}').join(String(arguments[i]));
    return s;
  }

  /* What would reorder or hide the text around it unseen (bidi controls,
   * zero-width and other format characters: ms_report_is_invisible() in
   * sim/report/transcript.c) and the C1 controls, which a client's line
   * may carry: named, as transcript.txt names them. */
  var UNSEEN = new RegExp('[\\u0080-\\u009f\\u00ad\\u061c\\u180e\\u200b-\\u200f' +
    '\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff]|\\udb40[\\udc00-\\udc7f]', 'g');

  function unseenName(c) {
    var n = c.length === 2 ? (c.charCodeAt(0) - 0xd800) * 0x400 + c.charCodeAt(1) - 0xdc00 + 0x10000
      : c.charCodeAt(0);
    var hex = n.toString(16).toUpperCase();
    while (hex.length < 4) hex = '0' + hex;
    return n < 0xa0 ? '\\u' + hex : '<U+' + hex + '>';
  }

  function esc(s) {
    return String(s).replace(UNSEEN, unseenName).replace(/&/g, '&amp;').replace(/</g, '&lt;')
      .replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  }

  /* Simulated time, exact to the microsecond. */
  function fmtTime(ns) {
    if (ns < 0) ns = 0;
    if (ns < 1e9) return (ns / 1e6).toFixed(3) + ' ms';
    if (ns < 600e9) return (ns / 1e9).toFixed(3) + ' s';
    var min = Math.floor(ns / 60e9);
    return min + ' min ' + ((ns - min * 60e9) / 1e9).toFixed(3) + ' s';
  }

  /* ---- Reading the data ------------------------------------------------ */

  function fail(msg) {
    var p = $('problem');
    p.hidden = false;
    p.textContent = tr('bad-trace', msg);
    document.body.setAttribute('data-state', 'error');
  }

  function need(r, field, type) {
    if (typeof r[field] !== type)
      throw new Error('record ' + r.id + ' (' + r.kind + ') has no ' + type + ' "' + field + '"');
  }

  /* A record: every field of docs/trace-format.md, in one order, so that
   * all records share one layout in the browser (made field by field, as
   * JSON reads them, 43,000 records of a dozen shapes took a quarter of a
   * second to build, and every later pass over them was slower too).  A
   * field a record does not have stays undefined, as it is absent from
   * trace.json. */
  function Rec() {
    this.id = this.kind = this.time_ns = this.arrival_ns = this.conn = this.protocol =
      this.dir = this.src = this.dst = this.src_port = this.dst_port = this.text = this.eol =
      this.folder = this.phase = this.note = this.flags = this.seq = this.ack = this.len =
      this.retransmit = this.uid = this.subject = this.detail = this.count = this.attempt =
      undefined;
  }

  /* trace.json's records from their packed rows (sim/report/json_writer.c):
   * [value, ..., shape], the shape naming the members in order and saying
   * which values are indexes into the strings. */
  function unpack(t) {
    var p = t.records;
    if (Array.isArray(p)) return;
    if (!p || !Array.isArray(p.rows) || !Array.isArray(p.shapes) || !Array.isArray(p.strings))
      throw new Error('"records" are neither a list nor packed rows');
    var str = p.strings, out = new Array(p.rows.length), isStr = [];
    for (var s = 0; s < p.shapes.length; s++) {
      var sh = p.shapes[s];
      if (!Array.isArray(sh) || !Array.isArray(sh[0]) || typeof sh[1] !== 'string')
        throw new Error('packed shape ' + s + ' is broken');
      isStr.push(sh[0].map(function (n, k) { return sh[1].charCodeAt(k) === 115; }));
    }
    for (var i = 0; i < p.rows.length; i++) {
      var row = p.rows[i], n = row.length - 1, shape = p.shapes[row[n]];
      if (!shape || shape[0].length !== n) throw new Error('packed record ' + i + ' is broken');
      var names = shape[0], strs = isStr[row[n]], r = new Rec();
      for (var k = 0; k < n; k++) r[names[k]] = strs[k] ? str[row[k]] : row[k];
      out[i] = r;
    }
    t.records = out;
  }

  /* The fields this page relies on, from docs/trace-format.md. */
  function checkSchema(t) {
    if (!t || t.format !== 'mailsim-trace') throw new Error('"format" is not "mailsim-trace"');
    if (t.version !== 1) throw new Error('version ' + t.version + ' is not 1');
    if (!Array.isArray(t.records)) throw new Error('no "records" array');
    for (var i = 0; i < t.records.length; i++) {
      var r = t.records[i];
      if (r.id !== i) throw new Error('record ' + i + ' has id ' + r.id);
      need(r, 'kind', 'string');
      need(r, 'time_ns', 'number');
      if (r.kind === 'line') {
        need(r, 'text', 'string'); need(r, 'eol', 'string'); need(r, 'conn', 'number');
        need(r, 'dir', 'string'); need(r, 'src', 'string'); need(r, 'dst', 'string');
      } else if (r.kind === 'conn-open') {
        need(r, 'conn', 'number'); need(r, 'protocol', 'string');
        need(r, 'src_port', 'number'); need(r, 'dst_port', 'number');
      } else if (r.kind === 'queue' || r.kind === 'mailbox') {
        need(r, 'note', 'string'); need(r, 'src', 'string'); need(r, 'count', 'number');
      } else if (r.kind === 'store') {
        need(r, 'note', 'string'); need(r, 'src', 'string'); need(r, 'subject', 'string');
        need(r, 'folder', 'string'); need(r, 'count', 'number');
        if (/^store\.(append|flags|expunge)$/.test(r.note)) need(r, 'uid', 'number');
        if (r.note !== 'store.expunge' && r.uid !== undefined && !Array.isArray(r.flags))
          throw new Error('record ' + r.id + ' (store) has no "flags" list');
      }
    }
    if (typeof t.summary !== 'object') throw new Error('no "summary" object');
  }

  function isTextNote(note) {
    return !!note && (/\.data\.(line|stuffed)$/.test(note) || note === 'imap.data.literal' ||
                      note === 'imap.cmd.literal');
  }

  /* One pass over the records: the lines, the connections, the message
   * texts (consecutive text lines one side sends on a connection), the
   * subject of each message, and when each queue retry timer fires. */
  function index() {
    var open = {}, lastBlock = {}, pendingRetry = {};
    for (var i = 0; i < R.length; i++) {
      var r = R[i];
      if (r.kind === 'conn-open') {
        conns[r.conn] = { id: r.conn, protocol: r.protocol, client: r.src, server: r.dst,
                          cport: r.src_port, sport: r.dst_port };
      } else if (r.kind === 'line') {
        lineIndex[r.id] = lines.length;
        lines.push(r);
        var key = r.conn + r.dir;
        if (isTextNote(r.note)) {
          if (!open[key]) open[key] = lastBlock[key] = { lines: [], dir: r.dir };
          open[key].lines.push(r);
          blockOf[r.id] = open[key];
        } else {
          if (/\.data\.end$/.test(r.note || '') && lastBlock[key]) blockOf[r.id] = lastBlock[key];
          open[key] = null;
        }
      } else if (r.kind === 'queue') {
        var qk = r.src + ' ' + r.subject;
        if (r.note === 'queue.retry') pendingRetry[qk] = r.id;
        else if (r.note === 'queue.attempt' && pendingRetry[qk] !== undefined) {
          retryNext[pendingRetry[qk]] = r.time_ns;
          delete pendingRetry[qk];
        }
      }
    }
    /* Subjects from the messages' own header fields. */
    for (var id in blockOf) {
      var b = blockOf[id];
      if (b.scanned) continue;
      b.scanned = true;
      var mid = null, subj = null;
      for (var k = 0; k < b.lines.length && b.lines[k].text !== ''; k++) {
        var m = /^message-id:\s*(.*)$/i.exec(b.lines[k].text);
        if (m) mid = m[1].trim();
        m = /^subject:\s*(.*)$/i.exec(b.lines[k].text);
        if (m) subj = decodeWords(m[1]);
      }
      if (mid && subj !== null && !(mid in subjectOf)) subjectOf[mid] = subj;
    }
  }

  var FLOWS = ['other', 'push', 'pull', 'tcp'];

  function buildArrows() {
    var list = page.arrows || [];
    for (var a = 0; a < list.length; a++) {
      var rid = list[a][0], kind = list[a][1], n = list[a][2], r = R[rid];
      var send = r.time_ns;
      var arr = typeof r.arrival_ns === 'number' ? r.arrival_ns : send;
      arrows.push({ rid: rid, kind: kind, page: list[a][3], flow: FLOWS[list[a][4]] || 'other',
                    send: send, arrival: arr,
                    lost: typeof r.arrival_ns !== 'number' });
      if (arr - send > maxFlight) maxFlight = arr - send;
      arrowOf[rid] = a;
      if (kind === 2) {
        /* Elided body lines: this arrow stands for the next n lines of
         * its connection and direction. */
        var k = lineIndex[rid], c = 0;
        for (; k !== undefined && k < lines.length && c < n; k++) {
          var l = lines[k];
          if (l.conn === r.conn && l.dir === r.dir) { arrowOf[l.id] = a; c++; }
        }
      }
      order.push(a);
    }
    order.sort(function (x, y) { return arrows[x].send - arrows[y].send || x - y; });
    for (var r = 0; r < order.length; r++) rankOf[order[r]] = r;
  }

  /* ---- The diagram ----------------------------------------------------- */

  /* The classes arrow a has at the cursor (for arrows drawn later). */
  function classOf(a) {
    return (rankOf[a] < sentUpTo ? 'sent' : '') + (a in drawn ? ' flying' : '') +
      (a === selectedArrow ? ' selected' : '');
  }

  function showSvg() {
    if (svgLang === lang) return;
    var d = $('diagram');
    svgLang = lang;
    d.classList.add('stepping');
    if (page.model) {
      /* A long run: the page draws the part in view from the model. */
      if (!modelView) {
        page.model.pageOf = (page.arrows || []).map(function (a) { return a[3]; });
        page.model.kindOf = (page.arrows || []).map(function (a) { return a[1]; });
        arrowEls = {};
        modelView = window.mailsimModelView(page.model, arrowEls, classOf);
        modelView.setLang(lang);
        applyZoom();
        modelView.mount(d, $('diagram-pane'), tr, zoom);
      } else {
        modelView.setLang(lang);
      }
      cursorEls = null;
      render(true);
      return;
    }
    var pages = (page.svg && page.svg[lang]) || [];
    d.innerHTML = pages.join('\n');
    arrowEls = {};
    var gs = d.querySelectorAll('g[id^="a"]');
    for (var i = 0; i < gs.length; i++) {
      var m = /^a(l?)(\d+)$/.exec(gs[i].id);
      if (!m) continue;
      var e = arrowEls[m[2]] || (arrowEls[m[2]] = {});
      if (m[1]) e.label = gs[i]; else e.edge = gs[i];
      gs[i].classList.add('arw');
      var ar = arrows[+m[2]];
      if (ar) gs[i].classList.add('f-' + ar.flow);
    }
    var svgs = d.querySelectorAll('svg');
    for (var s = 0; s < svgs.length; s++) svgs[s].setAttribute('data-page', s);
    applyZoom();
    sentUpTo = 0;
    drawn = {};
    flyingEls = [];
    cursorEls = null;
    selectedArrow = -1;
    render(true);
  }

  /* The widest page, in points. */
  function diagramWidth() {
    if (page.model) {
      var w = 0;
      page.model.pages.forEach(function (p) { w = Math.max(w, p[0]); });
      return w;
    }
    var svgs = $('diagram').querySelectorAll('svg'), max = 0;
    for (var i = 0; i < svgs.length; i++) max = Math.max(max, parseFloat(svgs[i].getAttribute('width')) || 0);
    return max;
  }

  /* The smallest type of an arrow's label, in points: a TCP segment's
   * (small) when there are any, else a protocol line's. */
  function smallestLabelPt() {
    if (page.model) {
      var tcp = arrows.some(function (a) { return a.flow === 'tcp'; });
      return tcp ? page.model.k.small_pt : page.model.k.line_pt;
    }
    var ts = $('diagram').querySelectorAll('g.arw text'), min = Infinity;
    for (var i = 0; i < ts.length; i++) min = Math.min(min, parseFloat(ts[i].getAttribute('font-size')) || min);
    return isFinite(min) ? min : 10;
  }

  /* The whole width of the diagram fits the pane when its words stay
   * readable from the back of a lecture room, every arrow's label at
   * READABLE_PX or more; else the diagram keeps that size and the pane
   * scrolls sideways, following the cursor.  − and + zoom from there. */
  var READABLE_PX = 11;
  function applyZoom(factor) {
    var pane = $('diagram-pane'), w = diagramWidth();
    if (!w) return;
    if (!zoom)
      zoom = Math.min(4 / 3, Math.max(READABLE_PX / smallestLabelPt(), (pane.clientWidth - 4) / w));
    if (factor) zoom = Math.min(3, Math.max(0.2, zoom * factor));
    if (modelView) {
      modelView.setScale(zoom);
      return;
    }
    var d = $('diagram'), svgs = d.querySelectorAll('svg');
    d.classList.add('zoomed');
    for (var i = 0; i < svgs.length; i++) {
      var pw = parseFloat(svgs[i].getAttribute('width')) || w;
      svgs[i].style.width = pw * zoom + 'px';
    }
  }

  function zoomBy(factor) {
    applyZoom(factor);
    cursorEls = null;
    render(false);
    markSelected(selected, true);
  }

  function els(a) { return arrowEls[a] || {}; }

  function setArrowClass(a, cls, on) {
    var e = els(a);
    if (e.edge) e.edge.classList.toggle(cls, on);
    if (e.label) e.label.classList.toggle(cls, on);
  }

  /* Where the drawing of arrow a starts, and its path, in the coordinates
   * of its page's graph (cached). */
  function geometry(a) {
    if (modelView) return modelView.geometry(a);
    var e = els(a);
    if (e.geo !== undefined) return e.geo;
    e.geo = null;
    var path = e.edge && e.edge.querySelector('path');
    if (path) {
      var m = /M\s*(-?[\d.]+)[ ,](-?[\d.]+)/.exec(path.getAttribute('d') || '');
      if (m) e.geo = { x: +m[1], y: +m[2], path: path, graph: e.edge.parentNode };
    }
    return e.geo;
  }

  function svgEl(name, attrs) {
    var el = document.createElementNS('http://www.w3.org/2000/svg', name);
    for (var k in attrs) el.setAttribute(k, attrs[k]);
    return el;
  }

  /* The simulated time of the cursor. */
  function cursorTime() {
    if (pos < 0 || !lines.length) return lines.length ? lines[0].time_ns - 1 : 0;
    var k = Math.floor(pos), f = pos - k;
    var t = lines[k].time_ns;
    if (f > 0 && k + 1 < lines.length) t += f * (lines[k + 1].time_ns - t);
    return t;
  }

  /* Brings the arrows up to time t: only those whose state changed are
   * touched; in-flight ones get a dot where they are now. */
  function drawArrows(t) {
    while (sentUpTo < order.length && arrows[order[sentUpTo]].send <= t)
      setArrowClass(order[sentUpTo++], 'sent', true);
    while (sentUpTo > 0 && arrows[order[sentUpTo - 1]].send > t)
      setArrowClass(order[--sentUpTo], 'sent', false);
    var now = {};
    for (var i = sentUpTo - 1; i >= 0; i--) {
      var a = order[i], ar = arrows[a];
      if (ar.send < t - maxFlight) break;
      if (ar.arrival > t && !ar.lost) now[a] = (t - ar.send) / Math.max(1, ar.arrival - ar.send);
    }
    var k2;
    for (k2 in drawn) {
      if (!(k2 in now)) {
        setArrowClass(+k2, 'flying', false);
        if (drawn[k2]) drawn[k2].remove();
        delete drawn[k2];
      }
    }
    for (k2 in now) {
      var g = geometry(+k2);
      if (!(k2 in drawn)) {
        setArrowClass(+k2, 'flying', true);
        drawn[k2] = g ? g.graph.appendChild(svgEl('circle', { r: 4, 'class': 'ms-dot' })) : null;
      }
      if (g && drawn[k2]) {
        var p = g.path ? g.path.getPointAtLength(now[k2] * g.path.getTotalLength())
          : { x: g.x + now[k2] * (g.x2 - g.x), y: g.y + now[k2] * (g.y2 - g.y) };
        drawn[k2].setAttribute('cx', p.x);
        drawn[k2].setAttribute('cy', p.y);
      }
    }
  }

  /* The dashed time line across the page of the nearest arrow. */
  function drawCursor(t) {
    var lo = 0, hi = order.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (arrows[order[mid]].send <= t) lo = mid + 1; else hi = mid;
    }
    var before = lo > 0 ? order[lo - 1] : -1, after = lo < order.length ? order[lo] : -1;
    var ga = before >= 0 ? geometry(before) : null, gb = after >= 0 ? geometry(after) : null;
    var g = ga || gb;
    if (!g) return;
    var y = g.y;
    if (ga && gb && ga.graph === gb.graph && arrows[after].send > arrows[before].send) {
      var f = (t - arrows[before].send) / (arrows[after].send - arrows[before].send);
      y = ga.y + Math.max(0, Math.min(1, f)) * (gb.y - ga.y);
    } else if (!ga) {
      y = gb.y - 8;
    }
    if (!cursorEls || cursorEls.graph !== g.graph) {
      if (cursorEls) { cursorEls.line.remove(); cursorEls.text.remove(); }
      var bb = modelView ? modelView.bounds() : g.graph.getBBox();
      if (modelView) bb = { x: bb.x1, width: bb.x2 - bb.x1 };
      cursorEls = {
        graph: g.graph, x1: bb.x, x2: bb.x + bb.width,
        line: g.graph.appendChild(svgEl('line', { 'class': 'ms-cursor' })),
        text: g.graph.appendChild(svgEl('text', { 'class': 'ms-cursor-label' }))
      };
    }
    cursorEls.line.setAttribute('x1', cursorEls.x1);
    cursorEls.line.setAttribute('x2', cursorEls.x2);
    cursorEls.line.setAttribute('y1', y);
    cursorEls.line.setAttribute('y2', y);
    cursorEls.text.setAttribute('x', cursorEls.x1 + 4);
    cursorEls.text.setAttribute('y', y - 4);
    cursorEls.text.textContent = fmtTime(t);
  }

  function markSelected(rid, scroll) {
    var a = rid >= 0 && rid in arrowOf ? arrowOf[rid] : -1;
    if (selectedArrow >= 0) setArrowClass(selectedArrow, 'selected', false);
    selectedArrow = a;
    if (a < 0) return;
    setArrowClass(a, 'selected', true);
    if (modelView) {
      if (scroll) modelView.reveal(a);
      return;
    }
    var e = els(a);
    if (scroll && (e.label || e.edge)) scrollIntoPane(e.label || e.edge);
  }

  function scrollIntoPane(el) {
    var pane = $('diagram-pane');
    var r = el.getBoundingClientRect(), p = pane.getBoundingClientRect();
    if (r.top < p.top + 40 || r.bottom > p.bottom - 40)
      pane.scrollTop += (r.top + r.bottom) / 2 - (p.top + p.bottom) / 2;
    if (r.left < p.left + 20 || r.right > p.right - 20)
      pane.scrollLeft += (r.left + r.right) / 2 - (p.left + p.right) / 2;
  }

  /* ---- Messages (RFC 5322 and MIME, RFC 2045-2047) --------------------- */

  function bytesOf(bin) {
    var u = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i) & 255;
    return u;
  }

  function decodeText(bytes, charset) {
    try { return new TextDecoder(charset || 'utf-8').decode(bytes); } catch (e) {
      return new TextDecoder('utf-8').decode(bytes);
    }
  }

  function base64Bytes(s) {
    try { return bytesOf(atob(s.replace(/[^A-Za-z0-9+/=]/g, ''))); } catch (e) { return null; }
  }

  /* Quoted-printable (RFC 2045 6.7) to bytes; text is UTF-8 already. */
  function qpBytes(s) {
    s = s.replace(/=\r?\n/g, '');
    var utf = new TextEncoder().encode(s), out = [];
    for (var i = 0; i < utf.length; i++) {
      var c = utf[i];
      if (c === 61 && i + 2 < utf.length) {
        var h = String.fromCharCode(utf[i + 1], utf[i + 2]);
        if (/^[0-9A-Fa-f]{2}$/.test(h)) { out.push(parseInt(h, 16)); i += 2; continue; }
      }
      out.push(c);
    }
    return new Uint8Array(out);
  }

  /* RFC 2047 encoded words in a header field. */
  function decodeWords(v) {
    return v.replace(/\?=\s+=\?/g, '?==?').replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g,
      function (all, cs, enc, txt) {
        var b = /b/i.test(enc) ? base64Bytes(txt)
                               : qpBytes(txt.replace(/_/g, ' '));
        return b ? decodeText(b, cs) : all;
      });
  }

  function parseHeaders(ls) {
    var hs = [], i = 0;
    for (; i < ls.length && ls[i] !== ''; i++) {
      if (/^[ \t]/.test(ls[i]) && hs.length) hs[hs.length - 1][1] += ' ' + ls[i].trim();
      else {
        var c = ls[i].indexOf(':');
        if (c > 0) hs.push([ls[i].slice(0, c), ls[i].slice(c + 1).trim()]);
      }
    }
    return { headers: hs, body: ls.slice(i + 1) };
  }

  function header(hs, name) {
    for (var i = 0; i < hs.length; i++) if (hs[i][0].toLowerCase() === name) return hs[i][1];
    return null;
  }

  function param(value, name) {
    var m = new RegExp(';\\s*' + name + '\\s*=\\s*("([^"]*)"|[^;\\s]+)', 'i').exec(value || '');
    return m ? (m[2] !== undefined ? m[2] : m[1]) : null;
  }

  /* The leaf parts of an entity, depth first. */
  function parts(ls, out, defType) {
    var e = parseHeaders(ls);
    var ct = header(e.headers, 'content-type') || defType || 'text/plain; charset=us-ascii';
    var type = ct.split(';')[0].trim().toLowerCase();
    if (/^multipart\//.test(type)) {
      var bnd = param(ct, 'boundary');
      if (bnd) {
        var cur = null, sub = type === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
        for (var i = 0; i < e.body.length; i++) {
          var l = e.body[i];
          if (l === '--' + bnd + '--') { if (cur) parts(cur, out, sub); cur = null; break; }
          if (l === '--' + bnd) { if (cur) parts(cur, out, sub); cur = []; continue; }
          if (cur) cur.push(l);
        }
        if (cur) parts(cur, out, sub);
        return out;
      }
    }
    out.push({ headers: e.headers, type: type, ct: ct, body: e.body });
    return out;
  }

  function renderPart(p, n) {
    var cte = (header(p.headers, 'content-transfer-encoding') || '7bit').toLowerCase();
    var name = param(header(p.headers, 'content-disposition'), 'filename') || param(p.ct, 'name');
    var raw = p.body.join('\n');
    var bytes = cte === 'base64' ? base64Bytes(raw) : cte === 'quoted-printable'
      ? qpBytes(p.body.join('\r\n')) : null;
    var size = bytes ? bytes.length : new TextEncoder().encode(raw).length;
    var h = '<div class="part"><div class="part-head">' + esc(tr('part', n)) + ': ' + esc(p.type) +
      (name ? ' · ' + esc(decodeWords(name)) : '') + ' · ' + esc(tr('bytes', size)) +
      (cte !== '7bit' && cte !== '8bit' ? ' · ' + esc(tr('encoded-as', cte)) : '') + '</div>';
    if (/^image\//.test(p.type) && cte === 'base64') {
      h += '<img alt="' + esc(name || p.type) + '" src="data:' + esc(p.type) + ';base64,' +
        esc(raw.replace(/[^A-Za-z0-9+/=]/g, '')) + '">';
    } else if (/^(text\/|message\/)/.test(p.type)) {
      var text = bytes ? decodeText(bytes, param(p.ct, 'charset')) : raw;
      h += '<pre>' + esc(text) + '</pre>';
    } else {
      h += '<p>' + esc(tr('no-preview')) + '</p>';
    }
    return h + '</div>';
  }

  /* The text of a message as its reader gets it: dot-stuffing undone
   * (RFC 5321 4.5.2, RFC 1939 3). */
  function messageLines(block) {
    var out = [];
    for (var i = 0; i < block.lines.length; i++) {
      var l = block.lines[i];
      out.push(/\.data\.stuffed$/.test(l.note || '') && l.text.charAt(0) === '.'
        ? l.text.slice(1) : l.text);
    }
    return out;
  }

  function renderMessage(block) {
    var ls = messageLines(block);
    var e = parseHeaders(ls);
    var h = '<section class="message"><h3>' + esc(tr('message', ls.length)) + '</h3>';
    h += '<table aria-label="' + esc(tr('headers')) + '">';
    for (var i = 0; i < e.headers.length; i++)
      h += '<tr><th>' + esc(e.headers[i][0]) + '</th><td>' + esc(decodeWords(e.headers[i][1])) +
        '</td></tr>';
    h += '</table>';
    var ps = parts(ls, []);
    for (var k = 0; k < ps.length; k++) h += renderPart(ps[k], k + 1);
    return h + '</section>';
  }

  /* ---- The details panel ----------------------------------------------- */

  function visibleLine(r) {
    /* Binary content (docs/trace-format.md: a line with "len"): its text
     * is a stand-in for octets sent as they are, with no line end. */
    if (typeof r.len === 'number' && r.len > 0)
      return '<div class="sent-line mono">' + esc(tr('binary', r.len)) + '</div>';
    var t = esc(r.text).replace(/[\x00-\x08\x0b-\x1f\x7f]/g, function (c) {
      var n = c.charCodeAt(0);
      return '<span class="ctl">' + (n === 127 ? 'DEL' : '^' + String.fromCharCode(n + 64)) + '</span>';
    }).replace(/\t/g, '<span class="ctl">TAB</span>');
    var eol = r.eol === '\r\n' ? '<span class="eol" title="' + esc(tr('eol-crlf')) + '">CR</span>' +
      '<span class="eol" title="' + esc(tr('eol-crlf')) + '">LF</span>'
      : r.eol === '\n' ? '<span class="eol odd">LF</span> ' + esc(tr('eol-lf'))
      : r.eol === '\r' ? '<span class="eol odd">CR</span> ' + esc(tr('eol-cr'))
      : '<span class="eol odd">∅</span> ' + esc(tr('eol-none'));
    return '<div class="sent-line mono">' + t + eol + '</div>';
  }

  function connLabel(id) {
    var c = conns[id];
    if (!c) return '[' + id + ']';
    return '[' + c.id + '] ' + c.protocol + ' ' + c.client + ':' + c.cport + ' → ' + c.server +
      ':' + c.sport;
  }

  function words(table, key) {
    var w = page[table] && page[table][key];
    return w ? (lang === 'zh' ? w[1] : w[0]) : null;
  }

  function renderDetails() {
    var d = $('details');
    if (selected < 0) {
      d.innerHTML = '<h2>' + esc(lines.length ? tr('start') : tr('no-lines')) + '</h2>';
      return;
    }
    var r = R[selected], h;
    var facts = '';
    function fact(k, v) { facts += '<dt>' + esc(tr(k)) + '</dt><dd>' + v + '</dd>'; }
    if (r.kind === 'line') {
      h = '<h2 id="line-heading">' + esc(tr('line-of', lineIndex[r.id] + 1, lines.length)) + '</h2>';
      h += '<div class="as-sent-label">' + esc(tr('as-sent')) + '</div>' + visibleLine(r);
      var note = words('notes', r.note);
      if (note) h += '<p class="note" id="annotation">' + esc(note) + '</p>';
    } else {
      h = '<h2>' + esc(tr('segment')) + '</h2><div class="sent-line mono">' +
        esc((r.flags || []).join('+') + ' seq=' + r.seq + ' ack=' + r.ack + ' len=' + r.len) +
        '</div>';
    }
    fact('from-to', esc(r.dir === 'C' ? 'C: ' : 'S: ') + esc(r.src) + ' → ' + esc(r.dst) +
      ' <span class="time">(' + esc(tr(r.dir === 'C' ? 'client' : 'server')) + ')</span>');
    var ph = words('phases', r.phase);
    if (ph) fact('phase', esc(ph));
    fact('connection', esc(connLabel(r.conn)));
    fact('sent-at', esc(fmtTime(r.time_ns)));
    fact('arrived-at', typeof r.arrival_ns === 'number'
      ? esc(fmtTime(r.arrival_ns)) + ' <span class="time">(' +
        esc(tr('transit', fmtTime(r.arrival_ns - r.time_ns))) + ')</span>'
      : esc(tr('never-arrived')));
    h += '<dl class="facts">' + facts + '</dl>';
    if (blockOf[r.id]) h += renderMessage(blockOf[r.id]);
    d.innerHTML = h;
  }

  /* ---- The state panel: the world replayed up to the cursor ------------ */

  function freshWorld() {
    return { boxes: {}, queues: {}, open: {}, copies: {}, checked: {}, down: {}, events: [] };
  }

  function box(w, owner, server) {
    return w.boxes[owner] || (w.boxes[owner] = { server: server, folders: { INBOX: [] } });
  }

  /* An event's label (sim/report/labels.c), in the page's language. */
  function labelText(r) {
    var l = page.labels && page.labels[r.id];
    return l ? (lang === 'zh' ? l[1] : l[0]) : '';
  }

  function labelTag(r) {
    var l = labelText(r);
    return l ? '<span class="ev-label">' + esc(l) + '</span> ' : '';
  }

  function eventText(r) {
    if (lang === 'zh' && page.events_zh && page.events_zh[r.id]) return page.events_zh[r.id];
    return r.detail || '';
  }

  function apply(w, r) {
    switch (r.kind) {
    case 'conn-open':
      w.open[r.conn] = { state: 'opening', since: r.time_ns };
      /* A user agent looks at its mailbox: it is listed below from now on,
       * with nothing if it finds nothing. */
      if (r.protocol === 'POP3' || r.protocol === 'IMAP') w.checked[r.src] = r.time_ns;
      break;
    case 'conn-established':
      if (w.open[r.conn] && r.dir === 'C') w.open[r.conn].state = 'open';
      break;
    case 'conn-close': case 'conn-abort': case 'conn-refused':
      delete w.open[r.conn];
      break;
    case 'store':
      applyStore(w, r);
      break;
    case 'queue':
      applyQueue(w, r);
      break;
    case 'message':
      if (r.note === 'message.downloaded' && r.subject) {
        /* text: the mailbox it came from (a message sent to two users is
         * two copies with one Message-ID). */
        var c = w.copies[r.src] || (w.copies[r.src] = []), owner = r.text || '';
        if (!c.some(function (x) { return x.id === r.subject && x.owner === owner; }))
          c.push({ id: r.subject, owner: owner });
      }
      break;
    case 'link':
      if (/ down$/.test(r.detail || '')) w.down[r.subject || r.src] = r;
      else delete w.down[r.subject || r.src];
      break;
    }
    if (r.detail && r.kind !== 'line' && r.kind.indexOf('segment') !== 0 &&
        !/^state\./.test(r.note || '')) {
      w.events.push(r);
      if (w.events.length > 6) w.events.shift();
    }
  }

  /* Each folder of each user's mailbox, message by message with its
   * flags, from the store records (docs/trace-format.md): data, never the
   * protocol's text. */
  function applyStore(w, r) {
    var b = box(w, r.subject, r.src), f = b.folders[r.folder], i;
    switch (r.note) {
    case 'store.append':
      if (!f) f = b.folders[r.folder] = [];
      f.push({ id: r.text || '', uid: r.uid, flags: r.flags || [] });
      break;
    case 'store.flags':
      for (i = 0; f && i < f.length; i++) {
        if (f[i].uid === r.uid) { f[i].flags = r.flags || []; break; }
      }
      break;
    case 'store.expunge':
      for (i = 0; f && i < f.length; i++) if (f[i].uid === r.uid) { f.splice(i, 1); break; }
      break;
    case 'store.create':
      if (!f) b.folders[r.folder] = [];
      break;
    case 'store.delete':
      if (r.folder !== 'INBOX') delete b.folders[r.folder];
      break;
    case 'store.rename':
      if (typeof r.text === 'string') {
        b.folders[r.text] = f || [];
        delete b.folders[r.folder];
      }
      break;
    }
  }

  function applyQueue(w, r) {
    var q = w.queues[r.src] || (w.queues[r.src] = []);
    var e = null;
    for (var i = 0; i < q.length; i++) if (q[i].id === r.subject) e = q[i];
    if (r.note === 'queue.add' && !e) {
      var rc = /for (\S+) placed/.exec(r.detail || '');
      q.push({ id: r.subject, to: rc ? rc[1] : '', since: r.time_ns, attempts: 0, state: 'new' });
    } else if (r.note === 'queue.attempt' && e) {
      e.attempts++; e.state = 'relaying';
    } else if (r.note === 'queue.retry' && e) {
      e.state = 'waiting'; e.next = retryNext[r.id];
    } else if (r.note === 'queue.remove' && e) {
      q.splice(q.indexOf(e), 1);
    }
  }

  function worldAt(t) {
    if (!world || (applied > 0 && R[applied - 1].time_ns > t)) { world = freshWorld(); applied = 0; }
    var changed = false;
    while (applied < R.length && R[applied].time_ns <= t) { apply(world, R[applied++]); changed = true; }
    return changed;
  }

  /* IMAP flags (RFC 3501 2.3.2) as they are written on the wire, each
   * with its meaning as a tooltip; none: "no flags" (not yet read). */
  function flagTags(flags) {
    if (!flags.length) return '<span class="flags none">' + esc(tr('no-flags')) + '</span> ';
    return '<span class="flags">' + flags.map(function (f) {
      var key = 'flag-' + f.replace(/^\\/, '').toLowerCase();
      return '<span class="flag mono" title="' + esc(UI[key] ? tr(key) : f) + '">' + esc(f) + '</span>';
    }).join(' ') + '</span> ';
  }

  function msgLabel(id) {
    var s = subjectOf[id];
    return esc(id) + (s ? ' <q>' + esc(s) + '</q>' : '');
  }

  /* A state list shows at most this many entries: a long run's panel
   * stays short enough to read and to redraw at every step. */
  var LIST_MAX = 12, lastState = null;

  function renderState(t) {
    var w = world, h = '';
    var owners = Object.keys(w.boxes).sort();
    /* Who fetched what, by mailbox and Message-ID: one pass, not one per
     * message shown. */
    var fetchedBy = {};
    Object.keys(w.copies).sort().forEach(function (dev) {
      w.copies[dev].forEach(function (x) {
        (fetchedBy[x.owner + ' ' + x.id] || (fetchedBy[x.owner + ' ' + x.id] = [])).push(dev);
      });
    });
    h += '<h3>' + esc(tr('mailboxes')) + '</h3><div id="mailboxes">';
    if (!owners.length) h += '<p class="empty">' + esc(tr('none-yet')) + '</p>';
    owners.forEach(function (o) {
      var b = w.boxes[o];
      h += '<div class="mailbox" data-owner="' + esc(o) + '"><span class="owner">' + esc(o) +
        '</span> <span class="time">@ ' + esc(b.server) + '</span>';
      Object.keys(b.folders).sort().forEach(function (f) {
        var ms = b.folders[f];
        h += '<div class="folder" data-folder="' + esc(f) + '" data-count="' + ms.length + '">' +
          esc(f) + ': ' + esc(ms.length ? tr(ms.length === 1 ? 'messages-1' : 'messages-n', ms.length) : tr('empty')) +
          '<ul class="state-list">';
        if (ms.length > LIST_MAX)
          h += '<li class="more">' + esc(tr('earlier-n', ms.length - LIST_MAX)) + '</li>';
        ms.slice(-LIST_MAX).forEach(function (m) {
          var by = fetchedBy[o + ' ' + m.id] || [];
          h += '<li data-id="' + esc(m.id) + '" data-uid="' + m.uid + '" data-flags="' +
            esc(m.flags.join(' ')) + '"' + (m.flags.indexOf('\\Deleted') >= 0 ? ' class="deleted"' : '') +
            '>UID ' + m.uid + ' ' + msgLabel(m.id) + ' ' + flagTags(m.flags) +
            (by.length ? '<span class="tag">' + esc(tr('fetched-by', by.join(', '))) + '</span>' : '') +
            '</li>';
        });
        h += '</ul></div>';
      });
      h += '</div>';
    });
    h += '</div><h3>' + esc(tr('queues')) + '</h3><div id="queues">';
    var servers = Object.keys(w.queues).sort(), anyQ = false;
    servers.forEach(function (s) {
      var q = w.queues[s];
      if (!q.length) return;
      anyQ = true;
      h += '<div class="queue" data-server="' + esc(s) + '" data-count="' + q.length +
        '"><span class="owner">' + esc(s) + '</span><ul class="state-list">';
      q.slice(0, LIST_MAX).forEach(function (e) {
        var st = e.state === 'waiting' && e.next !== undefined
          ? tr('queue-waiting', e.attempts, fmtTime(e.next), fmtTime(e.next - t))
          : e.state === 'relaying' ? tr('queue-relaying', e.attempts) : tr('queue-new');
        h += '<li data-id="' + esc(e.id) + '">' + msgLabel(e.id) + (e.to ? ' → ' + esc(e.to) : '') +
          '<br><span class="tag ' + esc(e.state) + '">' + esc(st) + '</span> <span class="time">' +
          esc(tr('queue-since', fmtTime(t - e.since))) + '</span></li>';
      });
      if (q.length > LIST_MAX) h += '<li class="more">' + esc(tr('more-n', q.length - LIST_MAX)) + '</li>';
      h += '</ul></div>';
    });
    if (!anyQ) h += '<p class="empty">' + esc(tr('empty')) + '</p>';
    h += '</div><h3>' + esc(tr('copies')) + '</h3><ul class="state-list" id="copies">';
    var devs = Object.keys(w.copies);
    Object.keys(w.checked).forEach(function (dv) { if (!(dv in w.copies)) devs.push(dv); });
    devs.sort();
    if (!devs.length) h += '<li class="empty">' + esc(tr('none-yet')) + '</li>';
    devs.forEach(function (dv) {
      var c = (w.copies[dv] || []).map(function (x) { return x.id; });
      h += '<li data-agent="' + esc(dv) + '" data-count="' + c.length + '"><span class="owner">' +
        esc(dv) + '</span>: ' + (!c.length ? '<strong class="nothing">' + esc(tr('nothing')) +
        '</strong>' : c.length > LIST_MAX ? esc(tr('messages-n', c.length)) + ', ' +
        esc(tr('latest')) + ' ' : '') + c.slice(-LIST_MAX).map(msgLabel).join(', ') +
        (dv in w.checked ? ' <span class="time">' + esc(tr('checked-at', fmtTime(w.checked[dv]))) +
        '</span>' : '') + '</li>';
    });
    h += '</ul><h3>' + esc(tr('conns')) + '</h3><ul class="state-list" id="connections">';
    var ids = Object.keys(w.open).sort(function (a, b) { return a - b; });
    if (!ids.length) h += '<li class="empty">' + esc(tr('none')) + '</li>';
    ids.forEach(function (id) {
      h += '<li>' + esc(connLabel(+id)) + ' <span class="tag">' +
        esc(tr(w.open[id].state === 'open' ? 'conn-open' : 'conn-opening')) + '</span></li>';
    });
    h += '</ul>';
    var down = Object.keys(w.down);
    if (down.length) {
      h += '<h3>' + esc(tr('down')) + '</h3><ul class="state-list">';
      down.forEach(function (k) { h += '<li>' + esc(eventText(w.down[k])) + '</li>'; });
      h += '</ul>';
    }
    h += '<h3>' + esc(tr('events')) + '</h3><ul class="state-list events">';
    if (!w.events.length) h += '<li class="empty">' + esc(tr('none-yet')) + '</li>';
    for (var i = w.events.length - 1; i >= 0; i--) {
      var r = w.events[i];
      h += '<li><span class="time">' + esc(fmtTime(r.time_ns)) + '</span> ' + labelTag(r) +
        esc(eventText(r)) + '</li>';
    }
    if (!$('state-heading'))
      $('state').innerHTML = '<h2 id="state-heading"></h2><div id="state-body"></div>';
    $('state-heading').textContent = tr('state-at', fmtTime(t));
    /* Only what changed is redrawn: a step often changes nothing here. */
    h += '</ul>';
    if (h !== lastState) {
      $('state-body').innerHTML = h;
      lastState = h;
    }
  }

  /* ---- The summary ----------------------------------------------------- */

  function renderSummary() {
    var s = trace.summary || {}, h = '<h2>' + esc(tr('summary')) + '</h2>';
    var kind = function (k) {
      return '<span class="kind-' + esc(k) + '">' + esc(tr(k === 'push' || k === 'pull' ? k : 'other')) +
        '</span>';
    };
    h += '<h3>' + esc(tr('push-pull')) + '</h3><table><tr><th>' + esc(tr('col-protocol')) +
      '</th><th>' + esc(tr('col-kind')) + '</th><th>' + esc(tr('col-conn')) + '</th><th>' +
      esc(tr('col-messages')) + '</th><th>' + esc(tr('col-rtt')) + '</th><th>' +
      esc(tr('col-bytes')) + '</th></tr>';
    (s.push_pull || []).forEach(function (p) {
      h += '<tr><td>' + esc(p.protocol) + '</td><td>' + kind(p.kind) + '</td><td>' +
        esc((p.exchanges || []).join(', ')) + '</td><td class="num">' + esc(p.messages) +
        '</td><td class="num">' + esc(p.round_trips) + '</td><td class="num">' +
        esc(p.bytes_client_to_server + ' / ' + p.bytes_server_to_client) + '</td></tr>';
    });
    h += '</table><h3>' + esc(tr('exchanges')) + '</h3><table><tr><th>' + esc(tr('col-conn')) +
      '</th><th>' + esc(tr('col-protocol')) + '</th><th>' + esc(tr('col-who')) + '</th><th>' +
      esc(tr('col-kind')) + '</th><th>' + esc(tr('col-rtt')) + '</th><th>' + esc(tr('col-bytes')) +
      '</th><th>' + esc(tr('col-duration')) + '</th></tr>';
    (s.exchanges || []).forEach(function (x) {
      h += '<tr><td class="num">' + esc(x.conn) + '</td><td>' + esc(x.protocol) + '</td><td>' +
        esc(x.client + ' → ' + x.server) + '</td><td>' + kind(x.kind) + '</td><td class="num">' +
        esc(x.round_trips) + '</td><td class="num">' +
        esc(x.bytes_client_to_server + ' / ' + x.bytes_server_to_client) + '</td><td class="num">' +
        esc(typeof x.duration_ns === 'number' ? fmtTime(x.duration_ns) : '') + '</td></tr>';
    });
    h += '</table>';
    /* One scale for every bar: the longest end-to-end delay. */
    var rows = [], max = 0;
    (s.messages || []).forEach(function (m) {
      (m.deliveries || []).forEach(function (d) {
        var total = typeof d.end_to_end_ns === 'number' ? d.end_to_end_ns
          : (d.stages || []).reduce(function (a, st) { return a + (st.delay_ns || 0); }, 0);
        if (total > max) max = total;
        rows.push({ m: m, d: d, total: total });
      });
    });
    if (rows.length) {
      h += '<h3>' + esc(tr('delays')) + '</h3><p class="legend">';
      ['submission', 'queue', 'relay', 'mailbox', 'retrieval'].forEach(function (st) {
        h += '<span class="sw st-' + st + '"></span>' + esc(tr('stage-' + st));
      });
      h += ' <span class="scale">' + esc(tr('scale', fmtTime(max))) + '</span></p><table><tr><th>' +
        esc(tr('col-message')) + '</th><th>' + esc(tr('col-total')) + '</th><th class="bars">' +
        esc(tr('col-stages')) + '</th></tr>';
      rows.forEach(function (row) {
        var bar = '<div class="bar" style="width:' + (max > 0 ? (row.total / max * 100).toFixed(2) : 0) +
          '%">', desc = [];
        (row.d.stages || []).forEach(function (st) {
          var wpc = row.total > 0 ? (st.delay_ns / row.total * 100).toFixed(2) : 0;
          var cls = /^(submission|queue|relay|mailbox|retrieval)$/.test(st.stage) ? st.stage : 'other';
          var label = tr('stage-' + cls) + ' ' + fmtTime(st.delay_ns);
          desc.push(label);
          bar += '<span class="st-' + cls + '" style="width:' + wpc + '%" title="' + esc(label) +
            '"></span>';
        });
        bar += '</div><div class="time">' + esc(desc.join(' · ')) + '</div>';
        h += '<tr><td>' + msgLabel(row.m.message_id) + '<br>→ ' + esc(row.d.mailbox || '') +
          '</td><td class="num">' + esc(row.d.seen_ns !== undefined || row.total ? fmtTime(row.total)
          : tr('not-seen')) + '</td><td class="bars">' + bar + '</td></tr>';
      });
      h += '</table>';
    }
    $('summary').innerHTML = h;
  }

  /* ---- The cursor ------------------------------------------------------ */

  function render(full) {
    var t = cursorTime();
    var k = pos < 0 ? -1 : Math.floor(pos);
    drawArrows(t);
    if (lines.length) drawCursor(t);
    /* On the last line the state is the run's end: what happened after
     * the last line (deliveries, the end-state records) included. */
    var ts = lines.length && pos === lines.length - 1 ? Math.max(t, R[R.length - 1].time_ns) : t;
    if (worldAt(ts) || full) renderState(ts);
    else {
      var sh = $('state-heading');
      if (sh) sh.textContent = tr('state-at', fmtTime(ts));
    }
    var slider = $('slider');
    slider.value = Math.round((pos + 1) * 100);
    var clock = $('clock');
    clock.textContent = fmtTime(t);
    slider.setAttribute('aria-valuetext', fmtTime(t) + (k >= 0 ? ' · ' + tr('line-of', k + 1, lines.length) : ''));
    document.body.setAttribute('data-line', k + 1);
  }

  function selectRecord(rid, scroll) {
    selected = rid;
    markSelected(rid, scroll);
    renderDetails();
  }

  function moveTo(p, scroll) {
    if (!lines.length) return;
    p = Math.max(-1, Math.min(lines.length - 1, p));
    var k = Math.floor(p), oldK = Math.floor(pos);
    pos = p;
    if (k !== oldK || selected < 0 || (R[selected].kind === 'line' && lineIndex[selected] !== k))
      selectRecord(k >= 0 ? lines[k].id : -1, scroll);
    render(false);
  }

  function step(d) {
    pause();
    moveTo(d > 0 ? Math.floor(pos) + 1 : Math.ceil(pos) - 1, true);
  }

  function frame(now) {
    if (!playing) return;
    var dt = Math.min(0.25, (now - lastFrame) / 1000);
    lastFrame = now;
    var speed = +$('speed').value || 2;
    var p = pos + dt * speed;
    if (p >= lines.length - 1) { moveTo(lines.length - 1, true); pause(); return; }
    moveTo(p, Math.floor(p) !== Math.floor(pos));
    requestAnimationFrame(frame);
  }

  function play() {
    if (playing || !lines.length) return;
    if (pos >= lines.length - 1) moveTo(-1, true);
    playing = true;
    $('b-play').setAttribute('aria-pressed', 'true');
    $('b-play').textContent = '❚❚';
    lastFrame = performance.now();
    requestAnimationFrame(frame);
  }

  function pause() {
    playing = false;
    $('b-play').setAttribute('aria-pressed', 'false');
    $('b-play').textContent = '▶';
  }

  /* ---- Language -------------------------------------------------------- */

  function setLang(l) {
    lang = l === 'zh' ? 'zh' : 'en';
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    var b = $('b-lang');
    b.textContent = tr('lang-button');
    b.lang = lang === 'zh' ? 'en' : 'zh-CN';
    var els = document.querySelectorAll('[data-i18n]');
    for (var i = 0; i < els.length; i++) els[i].textContent = tr(els[i].getAttribute('data-i18n'));
    /* A long run's page covers its beginning only, and says so first. */
    var w = page.window;
    if (w && typeof w.lines === 'number') {
      $('window-note').hidden = false;
      $('window-note').textContent = tr('window', w.lines, w.total, fmtTime(w.until_ns));
    }
    els = document.querySelectorAll('[data-i18n-label]');
    for (i = 0; i < els.length; i++) {
      var s = tr(els[i].getAttribute('data-i18n-label'));
      els[i].setAttribute('aria-label', s);
      els[i].title = s;
    }
    var keep = selected;
    showSvg();
    lap('diagram');
    if (summaryDrawn) renderSummary();
    renderState(cursorTime());
    selectRecord(keep, false);
  }

  /* ---- Start ----------------------------------------------------------- */

  function onKey(e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var tag = e.target && e.target.tagName;
    /* On the slider too, ← and → step one line and space plays, as
     * everywhere on the page (a lecturer who dragged it and then steps must
     * not crawl a hundredth of a line a press); with Shift the keys move
     * it finely, through the waits between lines. */
    var range = tag === 'INPUT' && e.target.type === 'range';
    if (range && e.shiftKey) return;
    var field = (tag === 'INPUT' && !range) || tag === 'SELECT' || tag === 'TEXTAREA';
    if (e.key === 'ArrowRight' && !field) { step(1); e.preventDefault(); }
    else if (e.key === 'ArrowLeft' && !field) { step(-1); e.preventDefault(); }
    else if (e.key === ' ' && !field && tag !== 'BUTTON') {
      if (playing) pause(); else play();
      e.preventDefault();
    } else if (e.key === 'Home' && !field) { pause(); moveTo(-1, true); e.preventDefault(); }
    else if (e.key === 'End' && !field) { pause(); moveTo(lines.length - 1, true); e.preventDefault(); }
    else if ((e.key === '+' || e.key === '=') && !field) { zoomBy(1.25); e.preventDefault(); }
    else if (e.key === '-' && !field) { zoomBy(0.8); e.preventDefault(); }
  }

  function onDiagramClick(e) {
    var g = e.target.closest && e.target.closest('g.arw');
    if (!g) return;
    var m = /^al?(\d+)$/.exec(g.id);
    if (!m || !arrows[+m[1]]) return;
    pause();
    var rid = arrows[+m[1]].rid;
    if (rid in lineIndex) moveTo(lineIndex[rid], false);
    else {
      var t = R[rid].time_ns, lo = -1;
      for (var k = 0; k < lines.length && lines[k].time_ns <= t; k++) lo = k;
      moveTo(lo, false);
      selectRecord(rid, false);
    }
  }

  /* How long each stage of start() took (ms): the bench prints it. */
  var timing = {}, summaryDrawn = false;
  function lap(name) { timing[name] = performance.now(); }

  function start() {
    lap('script');
    try {
      trace = JSON.parse($('ms-trace').textContent);
      lap('parsed-trace');
      page = JSON.parse($('ms-page').textContent);
      lap('parsed');
      unpack(trace);
      lap('unpacked');
      checkSchema(trace);
      lap('checked');
    } catch (err) {
      fail(err.message);
      return;
    }
    R = trace.records;
    index();
    lap('index');
    buildArrows();
    lap('indexed');
    $('slider').max = lines.length * 100;
    $('slider').addEventListener('input', function () {
      pause();
      moveTo(+this.value / 100 - 1, true);
    });
    $('b-first').onclick = function () { pause(); moveTo(-1, true); };
    $('b-prev').onclick = function () { step(-1); };
    $('b-next').onclick = function () { step(1); };
    $('b-last').onclick = function () { pause(); moveTo(lines.length - 1, true); };
    $('b-play').onclick = function () { if (playing) pause(); else play(); };
    $('b-zoom-in').onclick = function () { zoomBy(1.25); };
    $('b-zoom-out').onclick = function () { zoomBy(0.8); };
    $('b-lang').onclick = function () { setLang(lang === 'zh' ? 'en' : 'zh'); };
    $('diagram').addEventListener('click', onDiagramClick);
    document.addEventListener('keydown', onKey);
    setLang(page.lang);
    renderDetails();
    lap('drawn');
    window.mailsimReport.readyAt = performance.now();
    document.body.setAttribute('data-state', 'ready');
    /* The summary is below the fold: it is drawn right after the page can
     * be used, not before (a long run's tables take a while). */
    setTimeout(function () {
      renderSummary();
      summaryDrawn = true;
      lap('summary');
      document.body.setAttribute('data-summary', 'ready');
    }, 0);
  }

  /* For tests and for the curious: the page's words and its cursor. */
  window.mailsimReport = {
    ui: UI,
    lang: function () { return lang; },
    line: function () { return Math.floor(pos) + 1; },
    goToLine: function (n) { pause(); moveTo(n - 1, true); },
    /* Elements drawn in the diagram pane now. */
    timing: timing,
    diagramSize: function () { return $('diagram').getElementsByTagName('*').length; }
  };

  start();
})();
