package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a buffer the server's logger and the test share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestMailNotConfiguredLog: without --smtp-url the log says at start that
// e-mail is not configured, and what becomes of the e-mails: kept in the
// mailbox in sandbox mode, neither sent nor kept in production.
func TestMailNotConfiguredLog(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		sandbox, want string
	}{{"true", "kept in the mailbox"}, {"false", "no e-mail is sent or kept"}} {
		t.Run("sandbox="+c.sandbox, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"DIALTONE_ARGON2_MEMORY": "1024", "DIALTONE_ADMIN_TOKEN": "adm_mail", "DIALTONE_DEMO": "false",
				"DIALTONE_SANDBOX": c.sandbox}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			pr, pw := io.Pipe()
			var logs lockedBuffer
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--sip-addr", "off", "--db", filepath.Join(t.TempDir(), "mail.db")},
					func(k string) string { return env[k] }, pw, &logs)
				pw.Close()
			}()
			listening := make(chan struct{})
			go func() {
				sc := bufio.NewScanner(pr)
				for sc.Scan() {
					if strings.Contains(sc.Text(), "listening on") {
						close(listening)
					}
				}
			}()
			select {
			case <-listening:
			case err := <-done:
				t.Fatalf("serve ended: %v", err)
			case <-time.After(60 * time.Second):
				t.Fatal("serve did not start")
			}
			cancel()
			<-done
			got := logs.String()
			if !strings.Contains(got, "e-mail is not configured") || !strings.Contains(got, c.want) {
				t.Errorf("the log does not say e-mail is not configured (%q):\n%s", c.want, got)
			}
		})
	}
}
