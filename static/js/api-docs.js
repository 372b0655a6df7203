// The browsable API reference (/api/v1/docs): Swagger UI over the app's own OpenAPI document.
// A file rather than an inline script, so the page runs under the app's CSP unchanged.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // "Try it out" sends real requests with the bearer token typed into "Authorize".
    tryItOutEnabled: false,
    validatorUrl: null
  });
})();
