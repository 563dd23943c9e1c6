/* Upload limit checked in the browser before anything is sent: an element with class
 * "atlas-upload" and a data-max-bytes attribute (dashboard/uploads.py) refuses a larger file with a
 * French message in its sibling ".atlas-upload-error", instead of a silent 413 from the server.
 * Capture listeners on the document run before the upload component's own handlers. */
(function () {
  function check(event, files) {
    var zone = event.target && event.target.closest && event.target.closest('.atlas-upload');
    if (!zone || !files || !files.length) { return; }
    var max = parseInt(zone.getAttribute('data-max-bytes') || '0', 10);
    var box = zone.parentElement && zone.parentElement.querySelector('.atlas-upload-error');
    if (box) { box.textContent = ''; box.hidden = true; }
    var big = Array.prototype.filter.call(files, function (f) { return max && f.size > max; });
    if (!big.length) { return; }
    event.stopPropagation();
    event.preventDefault();
    if (event.target.tagName === 'INPUT') { event.target.value = ''; }
    if (box) {
      var mo = function (n) { return (n / 1048576).toFixed(1).replace('.', ','); };
      box.textContent = 'Fichier trop gros : « ' + big[0].name + ' » pèse ' + mo(big[0].size) +
        '\u00a0Mo, la limite est de ' + zone.getAttribute('data-max-label') + ' ; rien n\u2019a été envoyé.';
      box.hidden = false;
    }
  }
  document.addEventListener('change', function (e) {
    if (e.target && e.target.type === 'file') { check(e, e.target.files); }
  }, true);
  document.addEventListener('drop', function (e) { check(e, e.dataTransfer && e.dataTransfer.files); }, true);
})();
