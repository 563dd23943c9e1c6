/* Territory editor (dash-leaflet): selected communes in dark blue, the others in light grey.
 * `hideout` = {sel: {code: 1}}, sent by the server after each click or import; see
 * dashboard/pages/editor.py.
 */
window.atlasEditor = (function () {
  function esc(s) { return window.atlasLeaflet.escapeHtml(s); }
  function code(feature) { return window.atlasLeaflet.featureCode(feature); }
  return {
    style: function (feature, context) {
      var sel = ((context && context.hideout) || {}).sel || {};
      var on = !!sel[code(feature)];
      return {fillColor: on ? '#0b3d91' : '#e8ecf2', fillOpacity: on ? 0.85 : 0.9, color: '#6c757d',
              weight: 0.6, className: 'editor-commune editor-commune-' + code(feature)};
    },
    hoverStyle: function () { return {weight: 2.5, color: '#1b1b1b'}; },
    bindTooltip: function (feature, layer) {
      var p = feature.properties || {};
      layer.bindTooltip('<b>' + esc(p.nom) + '</b> (' + esc(code(feature)) + ')<br>' + esc(p.pop) + ' hab.',
                        {sticky: true, direction: 'top', className: 'atlas-tooltip', opacity: 1});
    }
  };
})();
