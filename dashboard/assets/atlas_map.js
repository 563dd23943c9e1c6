/* Atlas map engine: communes from a built TopoJSON file, drawn on a canvas (2D), recoloured from
 * compact values. No library, no network beyond the geometry URL given by the server.
 *
 * Python side and the full contract: dashboard/components/atlas_map.py. In short, per map
 * (a container `[data-atlas-map="<name>"]`):
 *   geometry spec  {url, key, codes|null, outline|null, n, crc}          -> atlasMap.setGeometry
 *   paint          {n, crc, classes: "0123…", values: "12,0,…", scale,    -> atlasMap.setPaint
 *                   colors, labels, format, title, key}
 *   selected       commune code | null                                   -> atlasMap.setSelected
 *   points         {lon: [], lat: [], color: [], label: []} | null       -> atlasMap.setPoints
 *   click          the engine writes {code, nom, n} into the click store (dash_clientside.set_props)
 *
 * Drawing, chosen by measurement (bench/bench_national_map.py): one Path2D per commune, built
 * once in a local Web Mercator frame; a recolour regroups them into one Path2D per class and fills
 * each class once; every border (each arc of the topology) is stroked once from one Path2D, the
 * territory outline (arcs used by exactly one of its communes) once more on top. Pan and zoom only
 * change the canvas transform; while a gesture lasts on a heavy map, the last full frame is moved
 * as an image and the full redraw waits for the gesture to pause. Hover, selection and points are
 * drawn on a second canvas above, so they never redraw the communes.
 */
(function () {
  'use strict';

  var WORLD = 10000;             // local frame: the area's larger side spans WORLD units
  var NEUTRAL = '#e8e8e8';       // fill before the first paint
  var OUTLINE = '#1b1b1b';
  var SELECTED = '#d94801';
  var HOVER = '#1b1b1b';
  var SNAPSHOT_MS = 50;          // redraws slower than this are replaced by the moved image during gestures
  var IDLE_MS = 140;             // full redraw after the gesture pauses this long

  var files = {};                // url -> Promise of a decoded file (shared by every map of the page)
  var maps = {};                 // name -> Engine

  /* ---------- French number formatting: the same text as atlas.fmt.number / atlas.fmt.value ---------- */

  // Digits of |x| rounded to `decimals` places, half to even on the exact binary value, as Python's
  // format(x, '.{d}f') (toFixed rounds exact ties away from zero: 0.125 -> "0.13", Python "0.12").
  function fixed(a, decimals) {
    var s = a.toFixed(decimals);
    var exact = a.toFixed(Math.min(100, decimals + 60));     // exact expansion of any double >= 2^-40
    var dot = exact.indexOf('.');
    var tail = exact.slice(dot + 1 + decimals);
    if (tail.charAt(0) === '5' && /^50*$/.test(tail)) {          // an exact tie
      var kept = decimals > 0 ? exact.slice(0, dot + 1 + decimals) : exact.slice(0, dot);
      var last = kept.charCodeAt(kept.length - 1) - 48;
      if (last % 2 === 0) { s = kept; }                          // half to even: keep the even digit
    }
    return s;
  }

  function groupThousands(intPart, sep) {
    var out = '';
    for (var i = intPart.length; i > 0; i -= 3) {
      out = intPart.slice(Math.max(0, i - 3), i) + (out ? sep + out : '');
    }
    return out;
  }

  function number(x, decimals, spec) {
    spec = spec || {};
    decimals = decimals || 0;
    if (x === null || x === undefined || typeof x !== 'number' || !isFinite(x)) {
      return spec.unavailable || 'donnée indisponible';
    }
    var s = fixed(Math.abs(x), decimals);
    var parts = s.split('.');
    var text = groupThousands(parts[0], spec.group || '\u202f') + (parts.length > 1 ? (spec.decimal || ',') + parts[1] : '');
    var negative = x < 0 && /[1-9]/.test(s);
    return (negative ? (spec.minus || '\u2212') : '') + text;
  }

  // atlas.fmt.value(x, ind, unit=True) from the server's format spec (atlas.fmt.js_spec + unit_for_js)
  // f.signed (a change between two years or a scenario): "+1,2" / "−0,5" / "0,0", as atlas.fmt.signed
  function value(x, f) {
    var s = number(x, f.decimals, f);
    if (f.signed && typeof x === 'number' && isFinite(x) && s.charAt(0) !== (f.minus || '\u2212') && /[1-9]/.test(s)) {
      s = '+' + s;
    }
    if (!f.unit) { return s; }
    if (f.percent) { return s + '\u202f%'; }
    var unit = (f.unit_one && typeof x === 'number' && Math.abs(x) < 2) ? f.unit_one : f.unit;   // "1 centre"
    return s + (f.nbsp || '\u00a0') + unit;
  }

  /* ---------- CRC-32 of the drawn codes (the paint is positional: both sides check the list) ---------- */

  var CRC_TABLE = (function () {
    var t = new Int32Array(256);
    for (var n = 0; n < 256; n++) {
      var c = n;
      for (var k = 0; k < 8; k++) { c = (c & 1) ? (0xEDB88320 ^ (c >>> 1)) : (c >>> 1); }
      t[n] = c;
    }
    return t;
  })();

  function crc32(text) {          // ASCII text (commune codes joined by ','), as zlib.crc32
    var c = -1;
    for (var i = 0; i < text.length; i++) { c = CRC_TABLE[(c ^ text.charCodeAt(i)) & 0xff] ^ (c >>> 8); }
    return (c ^ -1) >>> 0;
  }

  /* ---------- geometry: fetch, decode (TopoJSON), project ---------- */

  function mercX(lon) { return (lon + 180) / 360; }
  function mercY(lat) {
    var l = Math.max(-85.05112878, Math.min(85.05112878, lat)) * Math.PI / 180;
    return (1 - Math.log(Math.tan(Math.PI / 4 + l / 2)) / Math.PI) / 2;
  }

  function loadFile(url, prebuild) {
    var key = new URL(url, window.location.href).href;
    if (!files[key]) {
      files[key] = fetch(key, {credentials: 'same-origin'}).then(function (r) {
        if (!r.ok) { throw new Error('géométrie introuvable (' + r.status + ') : ' + url); }
        return r.json();
      }).then(function (topo) {
        var file = decode(topo);
        if (prebuild) { for (var f = 0; f < file.codes.length; f++) { featurePath(file, f); } }
        return file;
      });
      files[key].catch(function () { delete files[key]; });
    }
    return files[key];
  }

  // A page may name its geometry file in its <head> (dashboard/components/atlas_map.py:
  // preload_link): the file is then fetched, decoded and turned into paths while Dash boots and
  // fetches the layout, instead of after the layout arrives.
  function loadHinted() {
    var links = document.querySelectorAll('link[data-atlas-geometry]');
    for (var i = 0; i < links.length; i++) { loadFile(links[i].getAttribute('href'), true).catch(function () {}); }
  }

  // Arcs to one Float64Array of local coordinates (x, y interleaved) in a Web Mercator frame whose
  // origin is the file's north-west corner and whose larger side spans WORLD units.
  function decode(topo) {
    var t0 = performance.now();
    var tr = topo.transform || {scale: [1, 1], translate: [0, 0]};
    var kx = tr.scale[0], ky = tr.scale[1], dx = tr.translate[0], dy = tr.translate[1];
    var bb = topo.bbox;
    var X0 = mercX(bb[0]), X1 = mercX(bb[2]), Y0 = mercY(bb[3]), Y1 = mercY(bb[1]);
    var S = WORLD / Math.max(X1 - X0, Y1 - Y0, 1e-12);
    var arcs = topo.arcs, nArcs = arcs.length, total = 0, a, i;
    for (a = 0; a < nArcs; a++) { total += arcs[a].length; }
    var xy = new Float64Array(total * 2), start = new Int32Array(nArcs + 1), p = 0;
    var delta = !!topo.transform;
    for (a = 0; a < nArcs; a++) {
      start[a] = p;
      var arc = arcs[a], x = 0, y = 0;
      for (i = 0; i < arc.length; i++) {
        if (delta) { x += arc[i][0]; y += arc[i][1]; } else { x = arc[i][0]; y = arc[i][1]; }
        xy[2 * p] = (mercX(x * kx + dx) - X0) * S;
        xy[2 * p + 1] = (mercY(y * ky + dy) - Y0) * S;
        p++;
      }
    }
    start[nArcs] = p;
    var object = topo.objects[Object.keys(topo.objects)[0]];
    var geoms = object.geometries, codes = [], names = [], polys = [], index = {};
    for (i = 0; i < geoms.length; i++) {
      var g = geoms[i];
      codes.push(String(g.id));
      names.push((g.properties && g.properties.nom) || String(g.id));
      polys.push(g.type === 'Polygon' ? [g.arcs] : g.type === 'MultiPolygon' ? g.arcs : []);
      index[String(g.id)] = i;
    }
    var meta = topo.atlas || {};
    var insets = (meta.insets || []).map(function (s) {
      return {code: s.code, name: s.name, bbox: s.source_bbox, scale: s.scale, dx: s.dx, dy: s.dy,
              box: [(mercX(s.box[0]) - X0) * S, (mercY(s.box[3]) - Y0) * S, (mercX(s.box[2]) - X0) * S, (mercY(s.box[1]) - Y0) * S]};
    });
    return {xy: xy, start: start, nArcs: nArcs, codes: codes, names: names, polys: polys, index: index,
            X0: X0, Y0: Y0, S: S, insets: insets, paths: new Array(codes.length), bboxes: null,
            decodeMs: performance.now() - t0, meta: meta};
  }

  // Local coordinates of a lon/lat point (moved into its inset box when it falls in a DROM)
  function project(file, lon, lat) {
    var X = mercX(lon), Y = mercY(lat);
    for (var i = 0; i < file.insets.length; i++) {
      var s = file.insets[i], b = s.bbox;
      if (lon >= b[0] && lon <= b[2] && lat >= b[1] && lat <= b[3]) { X = X * s.scale + s.dx; Y = Y * s.scale + s.dy; break; }
    }
    return [(X - file.X0) * file.S, (Y - file.Y0) * file.S];
  }

  function walkRing(file, ring, fn) {   // calls fn(x, y, first) along a ring's arcs
    var xy = file.xy, first = true;
    for (var r = 0; r < ring.length; r++) {
      var ref = ring[r], a = ref < 0 ? ~ref : ref, s = file.start[a], e = file.start[a + 1], k;
      if (ref >= 0) {
        for (k = r === 0 ? s : s + 1; k < e; k++) { fn(xy[2 * k], xy[2 * k + 1], first); first = false; }
      } else {
        for (k = r === 0 ? e - 1 : e - 2; k >= s; k--) { fn(xy[2 * k], xy[2 * k + 1], first); first = false; }
      }
    }
  }

  function featurePath(file, f) {        // Path2D of a commune, built once per file and commune
    var path = file.paths[f];
    if (path) { return path; }
    path = new Path2D();
    var bb = [Infinity, Infinity, -Infinity, -Infinity];
    var polys = file.polys[f];
    for (var p = 0; p < polys.length; p++) {
      for (var r = 0; r < polys[p].length; r++) {
        walkRing(file, polys[p][r], function (x, y, first) {
          if (first) { path.moveTo(x, y); } else { path.lineTo(x, y); }
          if (x < bb[0]) { bb[0] = x; } if (y < bb[1]) { bb[1] = y; }
          if (x > bb[2]) { bb[2] = x; } if (y > bb[3]) { bb[3] = y; }
        });
        path.closePath();
      }
    }
    file.paths[f] = path;
    if (!file.bboxes) { file.bboxes = new Float64Array(file.codes.length * 4); }
    file.bboxes.set(bb, 4 * f);
    return path;
  }

  function arcsPath(file, arcList) {     // Path2D of a list of arcs, each drawn once
    var path = new Path2D(), xy = file.xy;
    for (var i = 0; i < arcList.length; i++) {
      var a = arcList[i], s = file.start[a], e = file.start[a + 1];
      path.moveTo(xy[2 * s], xy[2 * s + 1]);
      for (var k = s + 1; k < e; k++) { path.lineTo(xy[2 * k], xy[2 * k + 1]); }
    }
    return path;
  }

  function arcUses(file, features) {     // how many rings of these features use each arc
    var uses = new Int32Array(file.nArcs);
    for (var i = 0; i < features.length; i++) {
      var polys = file.polys[features[i]];
      for (var p = 0; p < polys.length; p++) {
        for (var r = 0; r < polys[p].length; r++) {
          var ring = polys[p][r];
          for (var k = 0; k < ring.length; k++) { var ref = ring[k]; uses[ref < 0 ? ~ref : ref]++; }
        }
      }
    }
    return uses;
  }

  /* ---------- one map ---------- */

  function el(tag, cls, parent) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (parent) { parent.appendChild(e); }
    return e;
  }

  function Engine(container, name) {
    this.name = name;
    this.container = container;
    this.spec = null; this.paint = null; this.selected = null; this.points = null;
    this.file = null; this.features = null; this.position = null;
    this.view = null; this.fitted = null; this.hover = -1; this.hoverPoint = -1;
    this.stats = {renders: 0, paints: 0};
    this.build();
  }

  Engine.prototype.build = function () {
    var c = this.container, self = this;
    c.classList.add('atlas-map');
    if (!c.hasAttribute('tabindex')) { c.setAttribute('tabindex', '0'); }
    c.setAttribute('data-features', '0');
    c.setAttribute('data-state', 'empty');
    var host = el('div', 'atlas-map-host', c);
    this.base = el('canvas', 'atlas-map-base', host);
    this.top = el('canvas', 'atlas-map-top', host);
    this.base.setAttribute('role', 'img');
    this.top.setAttribute('aria-hidden', 'true');
    this.tip = el('div', 'atlas-map-tooltip', host);
    this.tip.setAttribute('role', 'tooltip');
    this.tip.hidden = true;
    var bar = el('div', 'atlas-map-controls', host);
    [['+', 'Zoom avant', function () { self.zoomBy(2); }],
     ['\u2212', 'Zoom arrière', function () { self.zoomBy(0.5); }],
     ['\u2922', 'Recadrer la carte', function () { self.fit(); }]].forEach(function (b) {
      var btn = el('button', 'atlas-map-button', bar);
      btn.type = 'button';
      btn.textContent = b[0];
      btn.title = b[1];
      btn.setAttribute('aria-label', b[1]);
      btn.addEventListener('click', function (ev) { ev.stopPropagation(); b[2](); });
    });
    // A software canvas (willReadFrequently), chosen by measurement in headless Chromium with
    // SwiftShader on 2 busy cores: the accelerated canvas redraws France in ~17 ms instead of
    // ~135 ms once its paths are uploaded, but it stalled the page 1–11 s at random after the first
    // frames (GPU process starved); the software canvas never stalled, and gestures on a heavy map
    // move the last frame as an image (keepSnapshot) so its redraw cost is paid once per gesture.
    this.ctx = this.base.getContext('2d', {willReadFrequently: true});
    this.tctx = this.top.getContext('2d');
    this.hit = document.createElement('canvas').getContext('2d');
    this.snap = null;
    this.listen();
    if (window.ResizeObserver) {
      this.resizer = new ResizeObserver(function () { self.resize(); });
      this.resizer.observe(host);
    }
    this.resize();
  };

  Engine.prototype.resize = function () {
    var host = this.base.parentNode, w = host.clientWidth, h = host.clientHeight;
    if (!w || !h) { return; }
    var dpr = Math.min(window.devicePixelRatio || 1, 2);
    if (this.w === w && this.h === h && this.dpr === dpr) { return; }
    var old = this.w;
    this.w = w; this.h = h; this.dpr = dpr;
    this.snapView = null;
    [this.base, this.top].forEach(function (cv) { cv.width = Math.round(w * dpr); cv.height = Math.round(h * dpr); });
    if (this.features && (!this.view || !old || this.view === this.fitted)) { this.fit(true); } else { this.render(); this.drawTop(); }
  };

  /* --- geometry --- */

  Engine.prototype.setGeometry = function (spec) {
    var self = this;
    if (!spec || !spec.url) { return; }
    if (this.spec && this.spec.key === spec.key && this.file) { this.spec = spec; this.applyOutline(); this.render(); return; }
    this.spec = spec;
    this.container.setAttribute('data-state', 'loading');
    var t0 = performance.now();
    loadFile(spec.url).then(function (file) {
      if (self.spec !== spec) { return; }
      self.stats.loadMs = performance.now() - t0;
      self.stats.decodeMs = file.decodeMs;
      self.useFile(file, spec);
    }).catch(function (err) {
      self.container.setAttribute('data-state', 'error');
      self.container.setAttribute('data-error', String(err && err.message || err));
      if (window.console) { console.error(err); }
    });
  };

  Engine.prototype.useFile = function (file, spec) {
    var t0 = performance.now(), i;
    this.file = file;
    var feats = [];
    if (spec.codes) {
      for (i = 0; i < spec.codes.length; i++) {
        var f = file.index[spec.codes[i]];
        if (f !== undefined) { feats.push(f); }
      }
      feats.sort(function (a, b) { return a - b; });
    } else {
      for (i = 0; i < file.codes.length; i++) { feats.push(i); }
    }
    this.features = Int32Array.from(feats);
    this.position = new Int32Array(file.codes.length).fill(-1);
    for (i = 0; i < feats.length; i++) { this.position[feats[i]] = i; featurePath(file, feats[i]); }
    var codes = feats.map(function (f) { return file.codes[f]; });
    this.crc = crc32(codes.join(','));
    // every border once: the arcs used by the drawn communes
    var uses = arcUses(file, this.features), list = [];
    for (i = 0; i < uses.length; i++) { if (uses[i] > 0) { list.push(i); } }
    this.borders = arcsPath(file, list);
    this.buildIndex();
    this.applyOutline();
    this.classPaths = null;
    this.stats.buildMs = performance.now() - t0;
    this.container.setAttribute('data-features', String(feats.length));
    this.container.setAttribute('data-crc', String(this.crc));
    this.base.setAttribute('aria-label', (this.container.getAttribute('aria-label') || 'Carte') + ' : ' + feats.length + ' communes');
    if (this.paint) { this.regroup(); }
    this.points && this.projectPoints();
    this.fit(true);
    this.container.setAttribute('data-state', 'ready');
    var self = this, paint = this.paint;
    requestAnimationFrame(function () {
      self.stats.firstRenderAt = performance.now();
      if (paint && self.decodedPaint) { self.container.setAttribute('data-paint', paint.key || ''); }
    });
  };

  Engine.prototype.applyOutline = function () {
    var file = this.file, spec = this.spec;
    this.outline = null;
    if (!file || !spec || !spec.outline || !spec.outline.length) { return; }
    var feats = [];
    spec.outline.forEach(function (c) { var f = file.index[c]; if (f !== undefined) { feats.push(f); } });
    var uses = arcUses(file, feats), list = [];
    for (var i = 0; i < uses.length; i++) { if (uses[i] === 1) { list.push(i); } }
    this.outline = arcsPath(file, list);
    this.outlineFeatures = feats;
  };

  Engine.prototype.buildIndex = function () {   // uniform grid over the drawn communes' boxes
    var file = this.file, feats = this.features, bb = file.bboxes, n = feats.length;
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity, i, f;
    for (i = 0; i < n; i++) {
      f = feats[i];
      x0 = Math.min(x0, bb[4 * f]); y0 = Math.min(y0, bb[4 * f + 1]);
      x1 = Math.max(x1, bb[4 * f + 2]); y1 = Math.max(y1, bb[4 * f + 3]);
    }
    this.extent = n ? [x0, y0, x1, y1] : [0, 0, WORLD, WORLD];
    var cells = Math.max(1, Math.min(256, Math.round(Math.sqrt(n / 2))));
    var cw = (x1 - x0) / cells || 1, ch = (y1 - y0) / cells || 1, grid = new Array(cells * cells);
    for (i = 0; i < n; i++) {
      f = feats[i];
      var cx0 = Math.max(0, Math.floor((bb[4 * f] - x0) / cw)), cx1 = Math.min(cells - 1, Math.floor((bb[4 * f + 2] - x0) / cw));
      var cy0 = Math.max(0, Math.floor((bb[4 * f + 1] - y0) / ch)), cy1 = Math.min(cells - 1, Math.floor((bb[4 * f + 3] - y0) / ch));
      for (var cy = cy0; cy <= cy1; cy++) {
        for (var cx = cx0; cx <= cx1; cx++) { var k = cy * cells + cx; (grid[k] || (grid[k] = [])).push(f); }
      }
    }
    this.grid = {cells: cells, x0: x0, y0: y0, cw: cw, ch: ch, lists: grid};
  };

  Engine.prototype.featureAt = function (wx, wy) {   // local coordinates -> feature index or -1
    var g = this.grid;
    if (!g) { return -1; }
    var cx = Math.floor((wx - g.x0) / g.cw), cy = Math.floor((wy - g.y0) / g.ch);
    if (cx < 0 || cy < 0 || cx >= g.cells || cy >= g.cells) { return -1; }
    var list = g.lists[cy * g.cells + cx] || [], bb = this.file.bboxes;
    for (var i = list.length - 1; i >= 0; i--) {
      var f = list[i];
      if (wx < bb[4 * f] || wx > bb[4 * f + 2] || wy < bb[4 * f + 1] || wy > bb[4 * f + 3]) { continue; }
      if (this.hit.isPointInPath(this.file.paths[f], wx, wy, 'nonzero')) { return f; }
    }
    return -1;
  };

  /* --- paint --- */

  Engine.prototype.setPaint = function (paint) {
    var t0 = performance.now();
    this.paint = paint || null;
    this.decodedPaint = null;
    if (this.file) {
      this.regroup();
      this.render();
      this.drawTop();
      var self = this;
      requestAnimationFrame(function () {
        self.stats.repaintMs = performance.now() - t0;        // the frame is drawn
        self.stats.paints++;
        // until the canvas is rasterised: a bitmap of it can only be taken once its draws are done
        var done = function () {
          self.stats.repaintFlushedMs = performance.now() - t0;
          self.container.setAttribute('data-paint', (paint && paint.key) || '');
        };
        if (window.createImageBitmap) {
          createImageBitmap(self.base).then(function (bmp) { bmp.close && bmp.close(); done(); }, done);
        } else { done(); }
      });
    }
  };

  Engine.prototype.decodePaint = function () {
    var p = this.paint;
    if (!p) { return null; }
    if (this.decodedPaint) { return this.decodedPaint; }
    var n = this.features.length;
    if (p.n !== n || (p.crc !== undefined && p.crc !== null && p.crc !== this.crc)) {
      this.container.setAttribute('data-paint-error', 'paint for ' + p.n + ' communes (crc ' + p.crc + '), map has ' + n + ' (crc ' + this.crc + ')');
      if (window.console) { console.warn('atlas_map: paint and geometry disagree', this.name); }
      return null;
    }
    this.container.removeAttribute('data-paint-error');
    var cls = new Uint8Array(n), s = p.classes || '';
    for (var i = 0; i < n; i++) { cls[i] = i < s.length ? s.charCodeAt(i) - 48 : 0; }
    var vals = null;
    if (typeof p.values === 'string' && p.values.length) {
      var parts = p.values.split(','), scale = p.scale || 1;
      vals = new Float64Array(n);
      for (i = 0; i < n; i++) { vals[i] = Number(parts[i]) / scale; }
    }
    this.decodedPaint = {classes: cls, values: vals};
    return this.decodedPaint;
  };

  Engine.prototype.regroup = function () {     // one Path2D per class code
    var d = this.decodePaint(), feats = this.features, file = this.file;
    var paths = [];
    for (var i = 0; i < feats.length; i++) {
      var c = d ? d.classes[i] : 0;
      (paths[c] || (paths[c] = new Path2D())).addPath(file.paths[feats[i]]);
    }
    this.classPaths = paths;
    this.classColors = d ? (this.paint.colors || []) : [];
  };

  /* --- view --- */

  Engine.prototype.fit = function (silent) {
    if (!this.w || !this.extent) { return; }
    var e = this.extent, pad = 12;
    var k = Math.min((this.w - 2 * pad) / Math.max(e[2] - e[0], 1e-9), (this.h - 2 * pad) / Math.max(e[3] - e[1], 1e-9));
    this.view = {k: k, tx: this.w / 2 - k * (e[0] + e[2]) / 2, ty: this.h / 2 - k * (e[1] + e[3]) / 2};
    this.fitted = this.view;
    this.kMin = k / 4;
    this.kMax = k * 4096;
    this.render();
    this.drawTop();
    if (!silent) { this.container.setAttribute('data-view', 'fit'); }
  };

  Engine.prototype.setView = function (k, tx, ty) {
    k = Math.max(this.kMin, Math.min(this.kMax, k));
    this.view = {k: k, tx: tx, ty: ty};
    this.container.setAttribute('data-view', 'moved');
    this.schedule();
  };

  Engine.prototype.zoomBy = function (factor, sx, sy) {
    if (!this.view) { return; }
    var v = this.view;
    sx = sx === undefined ? this.w / 2 : sx;
    sy = sy === undefined ? this.h / 2 : sy;
    var k = Math.max(this.kMin, Math.min(this.kMax, v.k * factor)), r = k / v.k;
    this.setView(k, sx - r * (sx - v.tx), sy - r * (sy - v.ty));
  };

  Engine.prototype.panBy = function (dx, dy) {
    if (this.view) { this.setView(this.view.k, this.view.tx + dx, this.view.ty + dy); }
  };

  Engine.prototype.schedule = function () {     // next frame: a moved snapshot or a full render
    var self = this;
    if (this.frame) { return; }
    this.frame = requestAnimationFrame(function () {
      self.frame = 0;
      if (self.frameMs > SNAPSHOT_MS && self.snapView && self.snap) {
        self.drawSnapshot();
        clearTimeout(self.idle);
        self.idle = setTimeout(function () { self.render(); self.drawTop(); }, IDLE_MS);
      } else {
        self.render();
      }
      self.drawTop();
    });
  };

  Engine.prototype.drawSnapshot = function () {
    var v = this.view, s = this.snapView, r = v.k / s.k, ctx = this.ctx, dpr = this.dpr;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.base.width, this.base.height);
    ctx.setTransform(dpr * r, 0, 0, dpr * r, dpr * (v.tx - r * s.tx), dpr * (v.ty - r * s.ty));
    ctx.drawImage(this.snap, 0, 0, this.snap.width / dpr, this.snap.height / dpr);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
  };

  /* --- drawing --- */

  Engine.prototype.render = function () {
    var ctx = this.ctx, v = this.view, dpr = this.dpr;
    if (!ctx || !v || !this.features) { return; }
    var t0 = performance.now();
    if (!this.classPaths) { this.regroup(); }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.base.width, this.base.height);
    ctx.setTransform(dpr * v.k, 0, 0, dpr * v.k, dpr * v.tx, dpr * v.ty);
    var colors = this.classColors || [];
    for (var c = 0; c < this.classPaths.length; c++) {
      if (!this.classPaths[c]) { continue; }
      ctx.fillStyle = colors[c] || NEUTRAL;
      ctx.fill(this.classPaths[c], 'nonzero');
    }
    // borders: thinner and lighter where communes are small on screen, so France stays readable
    var e = this.extent, areaPx = (e[2] - e[0]) * (e[3] - e[1]) * v.k * v.k / Math.max(1, this.features.length);
    // (under ~6×6 px a commune's border would only grey the map; measured ~60 ms for France)
    if (areaPx >= 36) {
      ctx.lineJoin = 'round';
      ctx.strokeStyle = areaPx < 400 ? 'rgba(255,255,255,0.6)' : 'rgba(255,255,255,0.9)';
      ctx.lineWidth = (areaPx < 400 ? 0.4 : 0.8) / v.k;
      ctx.stroke(this.borders);
    }
    if (this.outline) {
      ctx.strokeStyle = OUTLINE;
      ctx.lineWidth = 2.5 / v.k;
      ctx.stroke(this.outline);
    }
    this.drawInsets(ctx, v);
    this.stats.renders++;
    // canvas drawing is deferred: the frame's cost shows when the next frame starts
    var self = this, paths = this.classPaths;
    requestAnimationFrame(function () {
      var ms = performance.now() - t0;
      self.stats.lastFrameMs = ms;
      if (paths === self.classPaths) { self.frameMs = ms; }   // a redraw of known paths (not a recolour)
      if (self.frameMs > SNAPSHOT_MS && !self.frame) { self.keepSnapshot(v); } else if (!(self.frameMs > SNAPSHOT_MS)) { self.snapView = null; }
    });
  };

  // The last full frame, moved as an image during gestures. An ImageBitmap stays where the canvas
  // is (GPU or not): copying an accelerated canvas into another canvas with drawImage forces a
  // synchronous read-back, measured at 10+ s per frame with SwiftShader.
  Engine.prototype.keepSnapshot = function (v) {
    var self = this;
    if (this.view !== v || !window.createImageBitmap) { return; }
    createImageBitmap(this.base).then(function (bmp) {
      if (self.view !== v) { bmp.close && bmp.close(); return; }
      if (self.snap && self.snap.close) { self.snap.close(); }
      self.snap = bmp;
      self.snapView = {k: v.k, tx: v.tx, ty: v.ty};
    }, function () {});
  };

  // Frames of the DROM insets (France file). Their names are HTML labels (placeLabels), not canvas
  // text: the first canvas fillText with a system font stalled headless Chromium ~11 s (font
  // matching), and HTML text stays sharp and readable by assistive technology.
  Engine.prototype.drawInsets = function (ctx, v) {
    var insets = this.file && this.file.insets;
    if (!insets || !insets.length || this.spec.codes) { return; }
    ctx.strokeStyle = '#9a9a9a';
    ctx.lineWidth = 1 / v.k;
    insets.forEach(function (s) { ctx.strokeRect(s.box[0], s.box[1], s.box[2] - s.box[0], s.box[3] - s.box[1]); });
  };

  Engine.prototype.placeLabels = function () {
    var insets = this.file && !this.spec.codes ? this.file.insets : [], v = this.view, layer = this.labels;
    if (!layer) { layer = this.labels = el('div', 'atlas-map-labels', this.base.parentNode); }
    if (layer.childNodes.length !== insets.length) {
      while (layer.firstChild) { layer.removeChild(layer.firstChild); }
      insets.forEach(function (s) { el('span', 'atlas-map-label', layer).textContent = s.name; });
    }
    if (!v) { return; }
    for (var i = 0; i < insets.length; i++) {
      var b = insets[i].box;
      layer.childNodes[i].style.transform = 'translate(' + Math.round(v.tx + v.k * b[0] + 3) + 'px,' + Math.round(v.ty + v.k * b[1] + 2) + 'px)';
    }
  };

  Engine.prototype.drawTop = function () {       // selection, hover, points: never the communes
    var ctx = this.tctx, v = this.view, dpr = this.dpr;
    if (!ctx || !v) { return; }
    this.placeLabels();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.top.width, this.top.height);
    if (!this.file) { return; }
    ctx.setTransform(dpr * v.k, 0, 0, dpr * v.k, dpr * v.tx, dpr * v.ty);
    ctx.lineJoin = 'round';
    var sel = this.selected !== null && this.selected !== undefined ? this.file.index[this.selected] : undefined;
    if (sel !== undefined && this.position[sel] >= 0) {
      ctx.strokeStyle = '#ffffff'; ctx.lineWidth = 5 / v.k; ctx.stroke(this.file.paths[sel]);
      ctx.strokeStyle = SELECTED; ctx.lineWidth = 3 / v.k; ctx.stroke(this.file.paths[sel]);
    }
    if (this.hover >= 0) {
      ctx.strokeStyle = HOVER; ctx.lineWidth = 2 / v.k; ctx.stroke(this.file.paths[this.hover]);
    }
    var pts = this.projected;
    if (pts) {
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.lineWidth = 1;
      ctx.strokeStyle = '#ffffff';
      for (var i = 0; i < pts.n; i++) {
        var x = v.tx + v.k * pts.xy[2 * i], y = v.ty + v.k * pts.xy[2 * i + 1];
        if (x < -6 || y < -6 || x > this.w + 6 || y > this.h + 6) { continue; }
        ctx.beginPath();
        ctx.arc(x, y, i === this.hoverPoint ? 6 : 4.5, 0, 2 * Math.PI);
        ctx.fillStyle = pts.color[i] || '#d95f02';
        ctx.fill();
        ctx.stroke();
      }
    }
  };

  /* --- selection, points --- */

  Engine.prototype.setSelected = function (code) {
    this.selected = code || null;
    this.container.setAttribute('data-selected', code || '');
    this.drawTop();
  };

  Engine.prototype.setPoints = function (points) {
    this.points = points && points.lon && points.lon.length ? points : null;
    this.projectPoints();
    this.drawTop();
  };

  Engine.prototype.projectPoints = function () {
    var p = this.points;
    if (!p || !this.file) { this.projected = null; this.container.setAttribute('data-points', '0'); return; }
    var n = p.lon.length, xy = new Float64Array(2 * n);
    for (var i = 0; i < n; i++) { var q = project(this.file, p.lon[i], p.lat[i]); xy[2 * i] = q[0]; xy[2 * i + 1] = q[1]; }
    var color = typeof p.color === 'string' || !p.color ? new Array(n).fill(p.color || '#d95f02') : p.color;
    this.projected = {n: n, xy: xy, color: color, label: p.label || []};
    this.container.setAttribute('data-points', String(n));
  };

  Engine.prototype.pointAt = function (sx, sy) {
    var pts = this.projected, v = this.view, best = -1, bestD = 49;
    if (!pts) { return -1; }
    for (var i = 0; i < pts.n; i++) {
      var dx = v.tx + v.k * pts.xy[2 * i] - sx, dy = v.ty + v.k * pts.xy[2 * i + 1] - sy, d = dx * dx + dy * dy;
      if (d < bestD) { bestD = d; best = i; }
    }
    return best;
  };

  /* --- tooltip, click --- */

  Engine.prototype.toLocal = function (sx, sy) {
    var v = this.view;
    return [(sx - v.tx) / v.k, (sy - v.ty) / v.k];
  };

  Engine.prototype.describe = function (f) {    // [name, code, value text] of a drawn commune
    var i = this.position[f], d = this.decodePaint(), p = this.paint || {};
    var fmt = p.format || {};
    var text = '';
    if (d) {
      var c = d.classes[i];
      text = c === 0 ? (fmt.unavailable || 'donnée indisponible') : c === 1 ? (fmt.secret || 'secret statistique')
        : d.values ? value(d.values[i], fmt) : ((p.labels || [])[c] || '');
    }
    return [this.file.names[f], this.file.codes[f], text];
  };

  Engine.prototype.showTip = function (sx, sy, lines) {
    var tip = this.tip;
    while (tip.firstChild) { tip.removeChild(tip.firstChild); }
    lines.forEach(function (l, k) {
      var line = el(k === 0 ? 'strong' : 'div', null, tip);
      line.textContent = l;
    });
    tip.hidden = false;
    var x = Math.min(sx + 14, this.w - tip.offsetWidth - 4), y = sy + 14;
    if (y + tip.offsetHeight > this.h - 4) { y = sy - tip.offsetHeight - 10; }
    tip.style.transform = 'translate(' + Math.max(4, x) + 'px,' + Math.max(4, y) + 'px)';
  };

  Engine.prototype.onHover = function (sx, sy) {
    if (!this.file || !this.view) { return; }
    var pi = this.pointAt(sx, sy);
    if (pi >= 0) {
      this.hoverPoint = pi; this.hover = -1;
      var label = this.projected.label[pi];
      if (label) { this.showTip(sx, sy, String(label).split('\n')); } else { this.tip.hidden = true; }
      this.drawTop();
      return;
    }
    this.hoverPoint = -1;
    var w = this.toLocal(sx, sy), f = this.featureAt(w[0], w[1]);
    if (f >= 0 && this.position[f] < 0) { f = -1; }
    if (f !== this.hover) { this.hover = f; this.drawTop(); }
    if (f < 0) { this.tip.hidden = true; this.container.removeAttribute('data-hover'); return; }
    var d = this.describe(f), p = this.paint || {};
    this.container.setAttribute('data-hover', d[1]);
    this.showTip(sx, sy, [d[0] + ' (' + d[1] + ')', (p.title ? p.title + ' : ' : '') + d[2]]);
  };

  Engine.prototype.onClick = function (sx, sy) {
    if (!this.file || !this.view) { return; }
    var w = this.toLocal(sx, sy), f = this.featureAt(w[0], w[1]);
    if (f < 0 || this.position[f] < 0) { return; }
    var code = this.file.codes[f];
    this.container.setAttribute('data-clicked', code);
    var click = {code: code, nom: this.file.names[f], t: Date.now()};
    this.stats.clicks = (this.stats.clicks || 0) + 1;
    if (this.clickTarget && window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props(this.clickTarget, {data: click});
    }
  };

  // A point inside a drawn commune, in page pixels (tests and benchmarks click there)
  Engine.prototype.screenPoint = function (code) {
    var f = this.file && this.file.index[code];
    if (f === undefined || !this.view || this.position[f] < 0) { return null; }
    var bb = this.file.bboxes, v = this.view, rect = this.base.getBoundingClientRect();
    for (var n = 1; n <= 16; n *= 2) {
      for (var i = 0; i < n; i++) {
        for (var j = 0; j < n; j++) {
          var wx = bb[4 * f] + (bb[4 * f + 2] - bb[4 * f]) * (i + 0.5) / n;
          var wy = bb[4 * f + 1] + (bb[4 * f + 3] - bb[4 * f + 1]) * (j + 0.5) / n;
          if (this.featureAt(wx, wy) === f) {
            var sx = v.tx + v.k * wx, sy = v.ty + v.k * wy;
            if (sx >= 0 && sy >= 0 && sx <= this.w && sy <= this.h) { return {x: rect.left + sx, y: rect.top + sy}; }
          }
        }
      }
    }
    return null;
  };

  /* --- input: mouse, touch, wheel, keyboard --- */

  Engine.prototype.listen = function () {
    var self = this, c = this.container, top = this.top, pointers = {}, drag = null, pinch = null, moved = 0;
    top.style.touchAction = 'none';
    function pos(ev) { var r = top.getBoundingClientRect(); return [ev.clientX - r.left, ev.clientY - r.top]; }
    top.addEventListener('pointerdown', function (ev) {
      var p = pos(ev);
      pointers[ev.pointerId] = p;
      top.setPointerCapture && top.setPointerCapture(ev.pointerId);
      var ids = Object.keys(pointers);
      if (ids.length === 1) { drag = {x: p[0], y: p[1]}; moved = 0; pinch = null; }
      if (ids.length === 2) {
        var a = pointers[ids[0]], b = pointers[ids[1]];
        pinch = {d: Math.hypot(a[0] - b[0], a[1] - b[1]), x: (a[0] + b[0]) / 2, y: (a[1] + b[1]) / 2};
        drag = null;
      }
    });
    top.addEventListener('pointermove', function (ev) {
      var p = pos(ev);
      if (pointers[ev.pointerId]) { pointers[ev.pointerId] = p; }
      var ids = Object.keys(pointers);
      if (pinch && ids.length === 2) {
        var a = pointers[ids[0]], b = pointers[ids[1]], d = Math.hypot(a[0] - b[0], a[1] - b[1]);
        var mx = (a[0] + b[0]) / 2, my = (a[1] + b[1]) / 2;
        if (pinch.d > 0) { self.zoomBy(d / pinch.d, mx, my); }
        self.panBy(mx - pinch.x, my - pinch.y);
        pinch = {d: d, x: mx, y: my};
        moved += 10;
        return;
      }
      if (drag) {
        var dx = p[0] - drag.x, dy = p[1] - drag.y;
        moved += Math.abs(dx) + Math.abs(dy);
        if (moved > 3) { self.panBy(dx, dy); self.tip.hidden = true; }
        drag = {x: p[0], y: p[1]};
        return;
      }
      if (ev.pointerType === 'mouse') { self.onHover(p[0], p[1]); }
    });
    function end(ev) {
      var p = pos(ev);
      var wasTap = drag && moved <= 3 && Object.keys(pointers).length === 1;
      delete pointers[ev.pointerId];
      if (wasTap && ev.type === 'pointerup') {
        self.onClick(p[0], p[1]);
        if (ev.pointerType !== 'mouse') { self.onHover(p[0], p[1]); }
      }
      if (!Object.keys(pointers).length) { drag = null; pinch = null; }
    }
    top.addEventListener('pointerup', end);
    top.addEventListener('pointercancel', end);
    top.addEventListener('pointerleave', function (ev) {
      if (ev.pointerType === 'mouse' && !drag) {
        self.hover = -1; self.hoverPoint = -1; self.tip.hidden = true; self.drawTop();
      }
    });
    top.addEventListener('wheel', function (ev) {
      ev.preventDefault();
      var p = pos(ev), unit = ev.deltaMode === 1 ? 16 : ev.deltaMode === 2 ? 400 : 1;
      self.zoomBy(Math.exp(-ev.deltaY * unit * 0.002), p[0], p[1]);
      self.tip.hidden = true;
    }, {passive: false});
    top.addEventListener('dblclick', function (ev) { var p = pos(ev); self.zoomBy(2, p[0], p[1]); });
    c.addEventListener('keydown', function (ev) {
      if (ev.target !== c) { return; }
      var step = 80, handled = true;
      switch (ev.key) {
        case 'ArrowLeft': self.panBy(step, 0); break;
        case 'ArrowRight': self.panBy(-step, 0); break;
        case 'ArrowUp': self.panBy(0, step); break;
        case 'ArrowDown': self.panBy(0, -step); break;
        case '+': case '=': self.zoomBy(1.5); break;
        case '-': case '_': self.zoomBy(1 / 1.5); break;
        case '0': self.fit(); break;
        default: handled = false;
      }
      if (handled) { ev.preventDefault(); }
    });
  };

  /* ---------- registry and the Dash side ---------- */

  function containerOf(name) {
    return document.querySelector('[data-atlas-map="' + String(name).replace(/"/g, '') + '"]');
  }

  function engine(name) {            // the map's engine, (re)created when Dash re-rendered its container
    var c = containerOf(name);
    if (!c) { return null; }
    var e = maps[name];
    if (!e || e.container !== c || !c.contains(e.base)) {
      var previous = e;
      e = maps[name] = new Engine(c, name);
      if (previous) {
        e.clickTarget = previous.clickTarget;
        e.paint = previous.paint; e.selected = previous.selected; e.points = previous.points;
        if (previous.spec) { e.setGeometry(previous.spec); }
      }
    }
    return e;
  }

  function withEngine(name, fn) {    // the container may not be in the DOM yet on the first callback
    var e = engine(name);
    if (e) { fn(e); return; }
    var tries = 0;
    (function retry() {
      var e2 = engine(name);
      if (e2) { fn(e2); } else if (++tries < 100) { setTimeout(retry, 20); }
    })();
  }

  var api = {
    setGeometry: function (name, spec) { withEngine(name, function (e) { e.setGeometry(spec); }); },
    setPaint: function (name, paint) { withEngine(name, function (e) { e.setPaint(paint); }); },
    setSelected: function (name, code) { withEngine(name, function (e) { e.setSelected(code); }); },
    setPoints: function (name, points) { withEngine(name, function (e) { e.setPoints(points); }); },
    setClickTarget: function (name, id) { withEngine(name, function (e) { e.clickTarget = id; }); },
    engine: function (name) { return maps[name] || null; },
    stats: function (name) { var e = maps[name]; return e ? Object.assign({features: e.features ? e.features.length : 0}, e.stats) : null; },
    screenPoint: function (name, code) { var e = maps[name]; return e ? e.screenPoint(code) : null; },
    format: {number: number, value: value, fixed: fixed},
    crc32: crc32,
    project: function (name, lon, lat) { var e = maps[name]; return e && e.file ? project(e.file, lon, lat) : null; }
  };
  window.atlasMap = api;
  loadHinted();

  // Clientside callbacks (registered by dashboard/components/atlas_map.py with MATCH ids): each
  // store feeds the engine of the map named by the store's id; the dummy output is never updated.
  function nameOf(id) { return id && typeof id === 'object' ? id.map : id; }
  window.dash_clientside = window.dash_clientside || {};   // the renderer adds set_props/no_update to it
  Object.assign(window.dash_clientside, {
    atlas_map: {
      geometry: function (spec, id, clickId) {
        api.setClickTarget(nameOf(id), clickId);
        if (spec) { api.setGeometry(nameOf(id), spec); }
        return window.dash_clientside.no_update;
      },
      paint: function (paint, id) { api.setPaint(nameOf(id), paint); return window.dash_clientside.no_update; },
      selected: function (code, id) { api.setSelected(nameOf(id), code); return window.dash_clientside.no_update; },
      points: function (points, id) { api.setPoints(nameOf(id), points); return window.dash_clientside.no_update; }
    }
  });
})();
