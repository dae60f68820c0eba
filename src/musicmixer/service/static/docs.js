/* The API page: Swagger UI from the server's own copy (no CDN, so it works
 * offline), started from a file because the CSP allows no inline script. */
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  window.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
