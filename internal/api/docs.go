package api

import (
	"html/template"
	"net/http"
	"strings"
)

// The API reference at /v1/docs is Stoplight Elements' web component,
// vendored from npm (@stoplight/elements 9.0.25: web-components.min.js and
// styles.min.css, as static/elements-9.0.25.min.js and .css) and served
// from /static/ like htmx and Pico, so the page loads nothing from another
// origin and works without internet. huma's own page, which loads the
// viewer from unpkg.com, is switched off (Config.DocsPath "").

// elementsVersion is the vendored Elements; its files carry it in their names.
const elementsVersion = "9.0.25"

var docsPage = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} Reference</title>
<link rel="stylesheet" href="/static/elements-{{.Version}}.min.css">
<script src="/static/elements-{{.Version}}.min.js"></script>
</head>
<body style="height: 100vh;">
<elements-api apiDescriptionUrl="{{.Spec}}" router="hash" layout="sidebar" tryItCredentialsPolicy="same-origin"></elements-api>
</body>
</html>
`))

// docsPolicy lets the page load its script, style and the document from
// this server only.
var docsPolicy = strings.Join([]string{
	"default-src 'none'",
	"base-uri 'none'",
	"connect-src 'self'",
	"form-action 'none'",
	"frame-ancestors 'none'",
	"img-src 'self' data:",
	"font-src 'self' data:",
	"sandbox allow-same-origin allow-scripts",
	"script-src 'self'",
	"style-src 'self' 'unsafe-inline'",
}, "; ")

// docs serves the API reference.
func (s *Handler) Docs(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", docsPolicy)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = docsPage.Execute(w, map[string]string{"Title": s.api.OpenAPI().Info.Title, "Version": elementsVersion, "Spec": "/v1/openapi.json"})
}
