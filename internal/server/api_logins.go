package server

import (
	"context"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/web"
)

// LoginResponse is a login of the account.
type LoginResponse struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Role      string    `json:"role" enum:"owner,admin,billing,viewer"`
	Status    string    `json:"status" enum:"invited,active" doc:"invited until the invitation's link set the password."`
	CreatedAt time.Time `json:"created_at"`
}

func loginResponse(u billing.User) LoginResponse {
	return LoginResponse{ID: u.ID, Email: u.Email, Role: u.Role, Status: billing.LoginStatus(u), CreatedAt: u.CreatedAt}
}

func (s *Server) listLogins(ctx context.Context, _ *struct{}) (*out[List[LoginResponse]], error) {
	p, err := customer(ctx)
	if err != nil {
		return nil, err
	}
	us, err := s.svc.Logins(ctx, p)
	if err != nil {
		return nil, err
	}
	res := List[LoginResponse]{Data: []LoginResponse{}}
	for _, u := range us {
		res.Data = append(res.Data, loginResponse(u))
	}
	return reply(res), nil
}

type inviteIn struct {
	idemHeader
	Body billing.InviteInput
}

func (s *Server) createLogin(ctx context.Context, in *inviteIn) (*out[LoginResponse], error) {
	p, err := customer(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.svc.Invite(ctx, p, in.Body)
	if err != nil {
		return nil, err
	}
	return reply(loginResponse(u)), nil
}

func (s *Server) deleteLogin(ctx context.Context, in *idPath) (*out[Deleted], error) {
	p, err := customer(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.svc.DeleteLogin(ctx, p, in.ID); err != nil {
		return nil, err
	}
	return reply(Deleted{ID: in.ID, Deleted: true}), nil
}

type resetRequestIn struct {
	idemHeader
	Body struct {
		Email string `json:"email" maxLength:"254" doc:"The e-mail address of the login."`
	}
}

// Accepted is the answer to a request that is handled out of sight.
type Accepted struct {
	Accepted bool   `json:"accepted"`
	Message  string `json:"message"`
}

func (s *Server) createPasswordReset(ctx context.Context, in *resetRequestIn) (*out[Accepted], error) {
	if err := s.svc.RequestPasswordReset(ctx, in.Body.Email, web.ClientOf(ctx)); err != nil {
		return nil, err
	}
	return reply(Accepted{Accepted: true, Message: s.resetSentWords()}), nil
}

// resetSentWords is the same answer whether or not the address is known;
// it claims no e-mail that is not sent.
func (s *Server) resetSentWords() string {
	switch s.svc.MailMode() {
	case billing.MailSMTP:
		return "If this address belongs to a login, a link to choose a new password is on its way; it works once, within an hour."
	case billing.MailMailbox:
		return "If this address belongs to a login, a link to choose a new password was written; e-mail is not configured on this sandbox, so it is kept in the sandbox mailbox (GET /v1/admin/mailbox) instead of being sent. It works once, within an hour."
	}
	return "E-mail is not configured on this server, so no link to choose a new password can be e-mailed: ask the provider's support."
}

type useLinkIn struct {
	idemHeader
	Token string `path:"token" maxLength:"200" doc:"The token the e-mail's link ends with."`
	Body  struct {
		Password string `json:"password" maxLength:"128" doc:"The new password: 8 to 128 characters."`
	}
}

func (s *Server) usePasswordReset(ctx context.Context, in *useLinkIn) (*out[LoginResponse], error) {
	u, err := s.svc.UseLink(ctx, in.Token, in.Body.Password)
	if err != nil {
		return nil, err
	}
	return reply(loginResponse(u)), nil
}
