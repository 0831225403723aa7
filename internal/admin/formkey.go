package admin

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"html/template"
	"io"
	"net/http"
	"net/url"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/web"
)

// Every form of the back office that changes something carries a key of
// its own, a hidden field made when the page is rendered ({{formkey}} in
// the template, field form_key), so that the same form sent twice — a
// double click, a browser retrying the post, a reload of its answer —
// does its work once (the API's Idempotency-Key, for pages; the portal's
// checkout does the same). handle runs a post with a key through once:
//
//   - the first submission claims the key (with a digest of what it sends:
//     the same form sent back with other values, after going back in the
//     browser, is a submission of its own) and runs;
//   - its answer decides: a redirect (303) or a page that shows what was
//     made once (201: a generated password or secret; changed: the report
//     of an upload) keeps the key as done with where it sent the browser;
//     anything else (a refusal shown next to its field, a confirmation
//     step, a failure of ours) changed nothing and releases the key;
//   - a second submission of a key done is sent where the first went with
//     a message that nothing was done again (or, when the first showed a
//     secret, told so, without the secret); while the first still runs it
//     is 409.
//
// A client that is not a browser may send the key as the API's
// Idempotency-Key header instead (the server leaves the back office's
// posts to this); a post without either runs as it is.

// formKeyField is the hidden field of a form's key.
const formKeyField = "form_key"

// formKeyOf is a post's key: its form's, else its Idempotency-Key header.
func formKeyOf(r *http.Request) string {
	if k := r.PostForm.Get(formKeyField); k != "" {
		return k
	}
	return r.Header.Get("Idempotency-Key")
}

// formKey is the template function: a hidden field with a new random key.
func formKey() template.HTML {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return template.HTML(`<input type="hidden" name="` + formKeyField + `" value="` + hex.EncodeToString(b) + `">`)
}

// keyWriter sees the status and the redirect of a post's answer.
type keyWriter struct {
	web.Recorder
	changed bool
}

// changed tells once that the page a handler renders with 200 answers a
// change (an upload's report), so that its key is kept.
func changed(w http.ResponseWriter) {
	if k, ok := w.(*keyWriter); ok {
		k.changed = true
	}
}

// once runs a post of a form with key at most once (see above), among the
// keys of scope (an operator's; the log-in's, per client address).
func (a *Admin) once(w http.ResponseWriter, r *http.Request, scope, key string, h http.HandlerFunc) {
	if len(key) > 255 {
		a.render(w, r, http.StatusBadRequest, "error", view{Title: "Bad request", Data: "The form could not be read (its key is too long)."})
		return
	}
	vals := r.PostForm
	if r.MultipartForm != nil {
		vals = r.MultipartForm.Value
	}
	sum := sha256.New()
	sum.Write([]byte(r.URL.Path + "\n"))
	without := make(url.Values, len(vals))
	for k, v := range vals {
		if k != formKeyField {
			without[k] = v
		}
	}
	sum.Write([]byte(without.Encode()))
	if r.MultipartForm != nil {
		for name, fs := range r.MultipartForm.File {
			for _, f := range fs {
				sum.Write([]byte("\nfile " + name + "=" + f.Filename + "\n"))
				if file, err := f.Open(); err == nil {
					_, _ = io.Copy(sum, file) // another file sent with the same form is another submission
					file.Close()
				}
			}
		}
	}
	hash := hex.EncodeToString(sum.Sum(nil))[:32]
	claim := key + "." + hash
	prev, claimed, err := a.svc.ClaimFormKey(r.Context(), scope, claim, hash)
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	// A submission still in progress whose use case committed a result
	// (the first died or failed before its answer was kept), or whose use
	// case takes the key into its transaction (keyedForm), runs again: the
	// use case answers it with the first's result.
	again := !prev.Done && (prev.Result != "" || keyedForm(r.Pattern))
	if !claimed && !again {
		switch {
		case !prev.Done:
			a.render(w, r, http.StatusConflict, "error", view{Title: "Already being done",
				Data: "This form was sent already and is still being processed. Wait a moment and open the page again; do not send it again."})
		case prev.Location != "":
			a.redirect(w, r, localPath(prev.Location, "/admin/"), "This form had been sent already: it was done once, and not again.")
		default:
			a.render(w, r, http.StatusConflict, "error", view{Title: "Already done",
				Data: "This form had been sent already: it was done once, and not again. What it showed once (a password or a secret) is not shown again."})
		}
		return
	}
	r = r.WithContext(web.WithKey(r.Context(), billing.Key{Scope: scope, Key: claim, Hash: hash}))
	k := &keyWriter{Recorder: web.Recorder{ResponseWriter: w}}
	defer func() {
		if v := recover(); v != nil {
			_ = a.svc.ReleaseFormKey(r.Context(), scope, claim)
			panic(v)
		}
		var err error
		switch {
		case k.Status == http.StatusSeeOther:
			err = a.svc.CompleteFormKey(r.Context(), scope, claim, k.Header().Get("Location"))
		case k.Status == http.StatusCreated || (k.changed && k.Status < 400):
			err = a.svc.CompleteFormKey(r.Context(), scope, claim, "")
		default:
			err = a.svc.ReleaseFormKey(r.Context(), scope, claim)
		}
		if err != nil {
			a.log.Error("admin: form key", "path", r.URL.Path, "err", err)
		}
	}()
	h(k, r)
}

// keyedForm reports whether the form posted to pattern runs a use case
// that takes its key into its transaction (its handler gives web.KeyOf
// to the use case's input).
func keyedForm(pattern string) bool {
	return pattern == "POST /admin/customers/{id}/balance-adjustments"
}
