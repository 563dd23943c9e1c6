/* Helpers shared by the Leaflet maps (explorer_map.js, editor_map.js); used when a map draws, so the
 * order in which Dash loads the asset files does not matter. */
window.atlasLeaflet = {
  escapeHtml: function (s) {
    return String(s === undefined || s === null ? '' : s).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  },
  // commune code of a GeoJSON feature: its id, or properties.code
  featureCode: function (feature) {
    return feature.id !== undefined ? String(feature.id) : String((feature.properties || {}).code);
  }
};
