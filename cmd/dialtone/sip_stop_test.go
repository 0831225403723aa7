package main

import (
	"bufio"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestSIPGracefulStop: serve (a process of its own, as in production)
// stops its registrar on SIGTERM and exits 0; its SIP port is closed
// then; the bindings stay in the database, so the next start shows the
// phone still connected.
func TestSIPGracefulStop(t *testing.T) {
	for _, kind := range storetest.Kinds(t) {
		t.Run(kind, func(t *testing.T) {
			db := storetest.URL(t, kind)
			cmd, base, sipAt := sipChild(t, db)
			tok, acct := sipAccount(t, base, "stop-"+kind+"@example.com")
			if got := registerGo(t, sipAt, acct, 5091, 600, 1); got != 200 {
				t.Fatalf("REGISTER: got %d", got)
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			waited := make(chan error, 1)
			go func() { waited <- cmd.Wait() }()
			select {
			case err := <-waited:
				if err != nil {
					t.Fatalf("serve after SIGTERM: %v, want exit status 0", err)
				}
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatal("serve did not stop within 30 s of SIGTERM")
			}
			if c, err := net.DialTimeout("tcp", sipAt, time.Second); err == nil {
				c.Close()
				t.Errorf("the SIP port %s still accepts after serve stopped", sipAt)
			}

			cmd, base, _ = sipChild(t, db)
			defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }()
			got := call(t, "GET", base+"/v1/sip_accounts/"+acct["id"].(string), tok, nil)
			if got["connected"] != true || len(got["registrations"].([]any)) != 1 {
				t.Fatalf("after a restart: %v, want the binding kept", got)
			}
		})
	}
}

// sipChild starts serve in a new process (TestMain) on db and returns it
// with its URL and its registrar's address.
func sipChild(t *testing.T, db string) (*exec.Cmd, string, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "DIALTONE_CRASH_CHILD_DB="+db)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	sipRe, httpRe := regexp.MustCompile(`SIP registrar on udp\+tcp (\S+)`), regexp.MustCompile(`listening on (http://\S+)`)
	sipAt := ""
	for sc.Scan() {
		if m := sipRe.FindStringSubmatch(sc.Text()); m != nil {
			sipAt = m[1]
		}
		if m := httpRe.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, out)
			if sipAt == "" {
				t.Fatal("the child printed no SIP address")
			}
			return cmd, m[1], sipAt
		}
	}
	t.Fatal("child server did not start")
	return nil, "", ""
}
