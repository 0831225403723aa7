package server_test

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestDocsSelfContained: the API reference at /v1/docs loads nothing from
// another origin: its script and style are served by dialtone itself, with
// their content types, and so is the document it shows.
func TestDocsSelfContained(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	r := a.do("GET", "/v1/docs", "", nil, "Accept", "text/html")
	page := string(r.raw)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(page, "<elements-api") {
		t.Fatalf("docs: %d %s %.300s", r.status, r.header.Get("Content-Type"), page)
	}
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") || strings.Contains(page, "//unpkg") {
		t.Errorf("the docs page names another host:\n%s", page)
	}
	if csp := r.header.Get("Content-Security-Policy"); csp == "" || strings.Contains(csp, "http") {
		t.Errorf("Content-Security-Policy %q: want one that allows this server only", csp)
	}
	want := map[string]string{".js": "text/javascript", ".css": "text/css", ".json": "application/openapi+json"}
	refs := regexp.MustCompile(`(?:src|href|apiDescriptionUrl)="([^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(refs) < 3 {
		t.Fatalf("docs page refers to %v; want its script, style and document", refs)
	}
	for _, m := range refs {
		ref := m[1]
		if !strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "//") {
			t.Errorf("%s: want a path on this server", ref)
			continue
		}
		got := a.do("GET", ref, "", nil)
		ext := ref[strings.LastIndex(ref, "."):]
		if got.status != 200 || !strings.HasPrefix(got.header.Get("Content-Type"), want[ext]) || len(got.raw) < 1000 {
			t.Errorf("%s: %d %s, %d bytes; want 200 %s", ref, got.status, got.header.Get("Content-Type"), len(got.raw), want[ext])
		}
	}
}

// TestDocsOfflineInChromium loads /v1/docs in headless Chromium that can
// reach no host but the test server: the reference renders (the API's
// title and its description appear) and every request went to that server.
// Skipped without chromium.
func TestDocsOfflineInChromium(t *testing.T) {
	exe := os.Getenv("DIALTONE_CHROMIUM")
	if exe == "" {
		exe, _ = exec.LookPath("chromium")
	}
	if exe == "" {
		t.Skip("no chromium")
	}
	a := newAPI(t, storetest.Open(t, "sqlite"))
	base, _ := url.Parse(a.srv.URL)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// Offline: every host name but the test server's address fails.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE "+base.Hostname()),
	)
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancelTab := chromedp.NewContext(alloc)
	defer cancelTab()
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()
	var mu sync.Mutex
	var requested []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requested = append(requested, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatalf("browser: %v", err)
	}
	const rendered = `document.body.innerText.includes("dialtone API") && document.body.innerText.includes("self-service marketplace")`
	if err := chromedp.Do(ctx, chromedp.Navigate(a.srv.URL+"/v1/docs"),
		chromedp.Poll[chromedp.Void](rendered, chromedp.WithPollingTimeout(45*time.Second))); err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("the reference did not render offline: %v\n%.1000s", err, text)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, u := range requested {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "data" && p.Scheme != "blob" && p.Host != base.Host) {
			t.Errorf("the docs page requested %s, not from %s", u, base.Host)
		}
	}
}
