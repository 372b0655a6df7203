/* Draws the /progress charts with the vendored plotly.js. Each chart's figure is a plain dict the
 * server wrote as JSON into its container's `data-figure` (webapp/analytics/charts.py; not a
 * `<script type="application/json">`, which htmx drops from swapped content under the app's
 * `allowScriptTags: false`); the container (role="img") stays hidden until drawn. Colours in the
 * figure are CSS custom properties ("var(--c-primary)"), resolved here from the page's stylesheet
 * so the charts follow its colours. Without JavaScript the data tables are the page; once a chart
 * is drawn, its table folds away under "The numbers". Fragments swapped in by htmx are drawn on
 * `htmx:load`. The colours are read when a chart is drawn, so a chart follows the light or dark
 * palette of static/css/app.css, and drawn charts are redrawn when the system's colour scheme
 * changes. */
(function () {
  "use strict";

  var styles = null;

  function resolve(value) {
    if (typeof value === "string") {
      var match = /^var\((--[\w-]+)\)$/.exec(value);
      return match ? (styles.getPropertyValue(match[1]).trim() || value) : value;
    }
    if (Array.isArray(value)) { return value.map(resolve); }
    if (value && typeof value === "object") {
      var out = {};
      Object.keys(value).forEach(function (key) { out[key] = resolve(value[key]); });
      return out;
    }
    return value;
  }

  function draw(container) {
    if (!window.Plotly || container.dataset.drawn) { return; }
    styles = window.getComputedStyle(document.documentElement);
    var figure = resolve(JSON.parse(container.dataset.figure));
    container.hidden = false;
    container.dataset.drawn = "true";
    window.Plotly.newPlot(container, figure.data, figure.layout, figure.config).then(function () {
      var table = container.closest(".chart-card").querySelector("details.chart-data");
      if (table) { table.open = false; }
    });
  }

  function drawAll(root) {
    (root || document).querySelectorAll("[data-figure]").forEach(draw);
  }

  function redrawAll() {
    if (!window.Plotly) { return; }
    styles = window.getComputedStyle(document.documentElement);
    document.querySelectorAll("[data-figure][data-drawn]").forEach(function (container) {
      var figure = resolve(JSON.parse(container.dataset.figure));
      window.Plotly.react(container, figure.data, figure.layout, figure.config);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:load", function (event) { drawAll(event.target); });
  if (window.matchMedia) {
    var scheme = window.matchMedia("(prefers-color-scheme: dark)");
    if (scheme.addEventListener) { scheme.addEventListener("change", redrawAll); }
  }
})();
