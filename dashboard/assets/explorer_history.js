/* Map explorer: the back / forward buttons restore the controls from the URL.
   The explorer writes its state into the URL with history.pushState (no server round trip). On
   popstate within the explorer, this sets the controls back and the explorer's callbacks recolour
   the map (a Patch, no polygons resent). The event is stopped so that Dash's router does not also
   rebuild the whole page for a query-string change (this listener is registered before Dash's). */
(function () {
    var MODES = {tous: 'all', liberal: 'liberal', all: 'all'};
    window.addEventListener('popstate', function (event) {
        if (window.location.pathname !== '/' || !document.getElementById('explorer-map')
                || !window.dash_clientside || !window.dash_clientside.set_props) {
            return;
        }
        var q = new URLSearchParams(window.location.search);
        if (!q.get('territoire')) { return; }
        event.stopImmediatePropagation();
        window.__atlasRestoring = true;
        var set = function (id, value) {
            if (document.getElementById(id)) { window.dash_clientside.set_props(id, {value: value}); }
        };
        set('explorer-territory', q.get('territoire'));
        if (q.get('indicateur')) { set('explorer-indicator', q.get('indicateur')); }
        if (q.get('profession')) { set('explorer-profession', q.get('profession')); }
        set('explorer-mode', MODES[q.get('mode') || 'tous'] || 'all');
        if (q.get('annee')) { set('explorer-year', q.get('annee')); }
        set('explorer-extent', q.get('etendue') === 'departement' ? 'departement' : 'territoire');
        set('explorer-locations', q.get('lieux') === '1');
        setTimeout(function () { window.__atlasRestoring = false; }, 1500);
    });
})();
