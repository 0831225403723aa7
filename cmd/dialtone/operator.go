package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/alexedwards/argon2id"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/id"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/store"
)

// OperatorCmd manages the accounts of the back office at /admin.
type OperatorCmd struct {
	Create OperatorCreateCmd `cmd:"" help:"Create an operator account (the first admin, or any other)."`
}

// OperatorCreateCmd creates an operator: with --password-stdin the
// password is the first line of the standard input, else one is generated
// and printed once.
type OperatorCreateCmd struct {
	DB            string `default:"./dialtone.db" env:"DIALTONE_DATABASE_URL" help:"A SQLite path, sqlite:PATH, or a postgres:// URL."`
	Email         string `required:"" help:"The operator's e-mail address (the log-in)."`
	Role          string `required:"" enum:"admin,support,finance" help:"admin: everything; support: customers, orders, refunds, balances; finance: reads only."`
	PasswordStdin bool   `name:"password-stdin" help:"Read the password (12 to 128 characters) from the first line of the standard input instead of generating one."`
	Argon2Memory  uint32 `default:"65536" env:"DIALTONE_ARGON2_MEMORY" hidden:""`
}

func (c OperatorCreateCmd) run(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	password, generated := "", false
	if c.PasswordStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("operator create: read the password from the standard input: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	} else {
		password, generated = id.Secret(16), true
	}
	st, err := store.Open(ctx, c.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	params := *argon2id.DefaultParams
	params.Memory = max(c.Argon2Memory, 1024)
	svc := billing.New(st, clock.Wall{}, payment.NewSandbox(), slog.New(slog.NewTextHandler(io.Discard, nil)), billing.Config{Argon2: &params})
	o, err := svc.CreateOperator(billing.WithActor(ctx, billing.CommandLine), billing.OperatorInput{Email: c.Email, Role: c.Role, Password: password})
	if err != nil {
		return fmt.Errorf("operator create: %w", err)
	}
	fmt.Fprintf(stdout, "Operator %s created: %s, role %s. Log in at /admin/login.\n", o.ID, o.Email, o.Role)
	if generated {
		fmt.Fprintf(stdout, "Password (shown once): %s\n", password)
	}
	return nil
}
