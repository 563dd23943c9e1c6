/* URL state of the pages: the server writes the query string (dashboard/state.py, one encoder);
 * this file only applies it (history.pushState, one entry per change) and, on back / forward,
 * hands the URL back to the server through the page's "popstate" store (one decoder, on the
 * server). The popstate event is stopped for pages that handle it themselves, so that Dash's
 * router does not rebuild the whole page for a query-string change (this listener is registered
 * when the asset loads, before Dash's). */
window.atlasHistory = (function () {
  var handlers = {};          // pathname -> id of the store that receives location.search
  var applied = {};           // pathname -> first search applied (replaceState, not pushState)
  window.addEventListener('popstate', function (event) {
    var id = handlers[window.location.pathname];
    if (!id || !window.dash_clientside || !window.dash_clientside.set_props) { return; }
    event.stopImmediatePropagation();
    window.dash_clientside.set_props(id, {data: window.location.search});
  });
  return {
    // url = {search: "?…", links: {"/portrait": "?…"}}, both written by the server
    apply: function (url, popstateId) {
      var nu = window.dash_clientside.no_update;
      if (!url || typeof url.search !== 'string' || url.search.charAt(0) !== '?') { return nu; }
      var search = url.search;
      var links = url.links || {};
      Object.keys(links).forEach(function (path) {
        document.querySelectorAll('a.atlas-nav-link[data-path="' + path + '"]').forEach(function (a) {
          a.setAttribute('href', path + links[path]);
        });
      });
      var path = window.location.pathname;
      handlers[path] = popstateId;
      if (search === window.location.search) { applied[path] = true; return search; }
      var full = path + search + window.location.hash;
      if (!applied[path]) {
        applied[path] = true;
        window.history.replaceState(window.history.state, '', full);
      } else {
        window.history.pushState(window.history.state, '', full);
      }
      return search;
    }
  };
})();
