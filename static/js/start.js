/* The exam page's start form: the bookmark tag field shows only with the bookmarked source, and
 * the source group is switched off for an exam simulation (it always draws from all questions).
 * Hidden or switched-off fields are disabled, so they are not posted. Without JavaScript every
 * field stays visible and the server explains a mismatch next to the field. */
(function () {
  "use strict";

  var sources = document.getElementById("source-choice");
  var tag = document.getElementById("source-tag");
  var form = sources ? sources.closest("form") : null;
  if (!form || !tag) { return; }
  var select = sources.querySelector("select");
  var input = tag.querySelector("input");

  function update() {
    var mode = form.querySelector('input[name="mode"]:checked');
    var off = !!mode && mode.value === sources.dataset.offForMode;
    sources.disabled = off;
    /* A tag the server refused stays in view with its message. */
    var show = !off && (select.value === tag.dataset.forSource || input.getAttribute("aria-invalid") === "true");
    tag.hidden = !show;
    input.disabled = !show;
  }

  form.addEventListener("change", update);
  update();
})();
