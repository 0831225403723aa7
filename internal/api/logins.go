package api

import (
	"context"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
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

func loginResponse(u market.User) LoginResponse {
	return LoginResponse{ID: u.ID, Email: u.Email, Role: u.Role, Status: billing.LoginStatus(u), CreatedAt: u.CreatedAt}
}

func (s *Handler) ListLogins(ctx context.Context, p billing.Principal, _ *struct{}) (*out[List[LoginResponse]], error) {
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

func (s *Handler) CreateLogin(ctx context.Context, p billing.Principal, in *inviteIn) (*out[LoginResponse], error) {
	u, err := s.svc.Invite(ctx, p, in.Body)
	if err != nil {
		return nil, err
	}
	return reply(loginResponse(u)), nil
}

func (s *Handler) DeleteLogin(ctx context.Context, p billing.Principal, in *idPath) (*out[Deleted], error) {
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

func (s *Handler) CreatePasswordReset(ctx context.Context, _ billing.Principal, in *resetRequestIn) (*out[Accepted], error) {
	if err := s.svc.RequestPasswordReset(ctx, in.Body.Email, web.ClientOf(ctx)); err != nil {
		return nil, err
	}
	return reply(Accepted{Accepted: true, Message: web.ResetSentWords(s.svc.MailMode())}), nil
}

type useLinkIn struct {
	idemHeader
	Token string `path:"token" maxLength:"200" doc:"The token the e-mail's link ends with."`
	Body  struct {
		Password string `json:"password" maxLength:"128" doc:"The new password: 8 to 128 characters."`
	}
}

func (s *Handler) UsePasswordReset(ctx context.Context, _ billing.Principal, in *useLinkIn) (*out[LoginResponse], error) {
	u, err := s.svc.UseLink(ctx, in.Token, in.Body.Password)
	if err != nil {
		return nil, err
	}
	return reply(loginResponse(u)), nil
}
