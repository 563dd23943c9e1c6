/* Map explorer (dash-leaflet): colours and tooltips from the communes layer's `hideout`.
 *
 * The server sends the polygons once per territory and extent; a change of indicator, profession,
 * mode or year sends only `hideout` = {v: {code: [class code, value text, detail text]},
 * colors: [colour per class code], tpl: tooltip template}. Leaflet re-runs `style` for every
 * commune when `hideout` changes; the tooltip is built when it opens, from the last hideout seen.
 * See dashboard/maps/leaflet_map.py.
 */
window.atlasMap = (function () {
  var current = {v: {}, colors: [], tpl: ''};

  function escapeHtml(s) { return window.atlasLeaflet.escapeHtml(s); }
  function code(feature) { return window.atlasLeaflet.featureCode(feature); }

  return {
    style: function (feature, context) {
      var h = (context && context.hideout) || current;
      current = h;
      var c = code(feature);
      var v = (h.v || {})[c];
      var z = v ? v[0] : 0;
      var selected = h.selected === c;
      return {
        fillColor: (h.colors || [])[z] || '#e5e5e5', fillOpacity: 0.95,
        color: selected ? '#d95f02' : '#ffffff', weight: selected ? 3.5 : 0.7, opacity: 1,
        className: 'atlas-commune commune-' + c + (selected ? ' atlas-commune-selected' : '')
      };
    },
    hoverStyle: function () {
      return {weight: 2.5, color: '#1b1b1b'};
    },
    tooltip: function (feature) {
      var c = code(feature);
      var v = (current.v || {})[c] || [0, '', ''];
      return (current.tpl || '')
        .replace('%{text}', escapeHtml((feature.properties || {}).nom || c))
        .replace('%{location}', escapeHtml(c))
        .replace('%{customdata[0]}', escapeHtml(v[1]))
        .replace('%{customdata[1]}', escapeHtml(v[2]));
    },
    bindTooltip: function (feature, layer) {
      layer.bindTooltip(function () { return window.atlasMap.tooltip(feature); },
                        {sticky: true, direction: 'top', className: 'atlas-tooltip', opacity: 1});
    },
    point: function (feature, latlng) {
      var p = feature.properties || {};
      // pointToLayer's markers do not inherit the layer's pane: name it (see PANES in leaflet_map.py)
      var m = L.circleMarker(latlng, {radius: 5, weight: 1, color: '#ffffff', fillColor: p.color || '#d95f02',
                                      fillOpacity: 0.9, className: 'atlas-point', pane: 'atlas-points'});
      if (p.label) { m.bindTooltip(escapeHtml(p.label), {direction: 'top'}); }
      return m;
    }
  };
})();
