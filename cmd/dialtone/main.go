// Command dialtone runs the marketplace and billing server of a cloud
// telephony provider. `dialtone serve` with no flags keeps its data in
// ./dialtone.db, runs in sandbox mode and loads the demo catalog.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/dialtone/dialtone/internal/gcpolicy"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "dialtone:", err)
		os.Exit(1)
	}
}

// run is the whole program: parse args, then run the chosen command until
// ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cli, kctx, err := parse(args, getenv, stdout)
	if err != nil || kctx == nil {
		return err
	}
	switch kctx.Command() {
	case "serve":
		return serve(ctx, cli.Serve, gcpolicy.Apply(getenv), stdout, stderr)
	case "migrate":
		return migrate(ctx, cli.Migrate.DB)
	case "load":
		return cli.Load.run(ctx, stdout)
	case "bench sip":
		return cli.Bench.SIP.run(ctx, stdout)
	case "bench orders":
		return cli.Bench.Orders.run(ctx, stdout)
	case "bench renewals":
		return cli.Bench.Renewals.run(ctx, stdout, stderr)
	case "operator create":
		return cli.Operator.Create.run(ctx, os.Stdin, stdout)
	}
	return fmt.Errorf("unknown command %q", kctx.Command())
}
