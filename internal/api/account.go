package api

import (
	"context"
	"net/http"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/web"
)

// out wraps a response body.
type out[T any] struct{ Body T }

func reply[T any](v T) *out[T] { return &out[T]{Body: v} }

type idPath struct {
	ID string `path:"id" maxLength:"100"`
}

type idemHeader struct {
	IdempotencyKey string `header:"Idempotency-Key" required:"false" maxLength:"255" doc:"Retry-safe key: the same key with the same request within 24 hours returns the first response again."`
}

// Deleted is the answer to a DELETE.
type Deleted struct {
	ID      string `json:"id"`
	Deleted bool   `json:"deleted"`
}

func (s *Handler) ListPlans(ctx context.Context, _ billing.Principal, _ *struct{}) (*out[List[ProductResponse]], error) {
	plans, err := s.svc.Plans(ctx, false)
	if err != nil {
		return nil, err
	}
	var res List[ProductResponse]
	res.Data = []ProductResponse{}
	idx := map[string]int{}
	for _, p := range plans {
		i, ok := idx[p.Product]
		if !ok {
			i = len(res.Data)
			idx[p.Product] = i
			res.Data = append(res.Data, ProductResponse{Code: p.Product, Name: p.ProductName})
		}
		res.Data[i].Plans = append(res.Data[i].Plans, planResponse(p))
	}
	return reply(res), nil
}

type signupIn struct {
	idemHeader
	Body billing.SignupInput
}

// SignupResponse is a new account.
type SignupResponse struct {
	Customer CustomerResponse `json:"customer"`
	User     UserResponse     `json:"user"`
}

func (s *Handler) Signup(ctx context.Context, _ billing.Principal, in *signupIn) (*out[SignupResponse], error) {
	c, u, err := s.svc.Signup(ctx, in.Body)
	if err != nil {
		return nil, err
	}
	return reply(SignupResponse{Customer: customerResponse(c), User: userResponse(u, "active")}), nil
}

type sessionIn struct {
	idemHeader
	Body struct {
		Email    string `json:"email" maxLength:"254"`
		Password string `json:"password" maxLength:"128"`
	}
}

// SessionResponse is a new login session.
type SessionResponse struct {
	Token    string           `json:"token" doc:"Send as Authorization: Bearer <token>."`
	Customer CustomerResponse `json:"customer"`
}

type sessionOut struct {
	SetCookie http.Cookie `header:"Set-Cookie"`
	Body      SessionResponse
}

func (s *Handler) CreateSession(ctx context.Context, _ billing.Principal, in *sessionIn) (*sessionOut, error) {
	tok, c, err := s.svc.Login(ctx, in.Body.Email, in.Body.Password, web.ClientOf(ctx))
	if err != nil {
		return nil, err
	}
	web.WithholdAnswer(ctx) // the token: not kept for a replay
	return &sessionOut{SetCookie: web.SessionCookieOf(tok, ctx), Body: SessionResponse{Token: tok, Customer: customerResponse(c)}}, nil
}

func (s *Handler) DeleteSession(ctx context.Context, p billing.Principal, _ *struct{}) (*out[Deleted], error) {
	if err := s.svc.Logout(ctx, p); err != nil {
		return nil, err
	}
	return reply(Deleted{ID: "current", Deleted: true}), nil
}

func (s *Handler) GetAccount(ctx context.Context, p billing.Principal, _ *struct{}) (*out[AccountResponse], error) {
	a, err := s.account(ctx, p.CustomerID)
	if err != nil {
		return nil, err
	}
	return reply(a), nil
}

type listIn struct {
	PageParams
}

func (s *Handler) ListSubscriptions(ctx context.Context, p billing.Principal, in *listIn) (*out[List[SubscriptionResponse]], error) {
	if err := knownCursor(in.StartingAfter, func() error { _, err := s.svc.Subscription(ctx, p, in.StartingAfter); return err }); err != nil {
		return nil, err
	}
	subs, err := s.svc.Subscriptions(ctx, p, in.page())
	if err != nil {
		return nil, err
	}
	now := s.svc.Now()
	return reply(listOf(subs, in.Limit, func(x market.Subscription) SubscriptionResponse { return subscriptionResponse(x, now) })), nil
}

func (s *Handler) GetSubscription(ctx context.Context, p billing.Principal, in *idPath) (*out[SubscriptionResponse], error) {
	sub, err := s.svc.Subscription(ctx, p, in.ID)
	if err != nil {
		return nil, err
	}
	return reply(subscriptionResponse(sub, s.svc.Now())), nil
}

type subPatchIn struct {
	ID   string `path:"id" maxLength:"100"`
	Body struct {
		AutoRenew         *bool `json:"auto_renew,omitempty"`
		CancelAtPeriodEnd *bool `json:"cancel_at_period_end,omitempty" doc:"true cancels at the end of the period (the subscription stays in force until expires_at, does not renew, and is canceled then); false undoes it before then."`
	}
}

func (s *Handler) UpdateSubscription(ctx context.Context, p billing.Principal, in *subPatchIn) (*out[SubscriptionResponse], error) {
	if in.Body.AutoRenew != nil {
		if _, err := s.svc.SetAutoRenew(ctx, p, in.ID, *in.Body.AutoRenew); err != nil {
			return nil, err
		}
	}
	if in.Body.CancelAtPeriodEnd != nil {
		if _, err := s.svc.SetCancelAtPeriodEnd(ctx, p, in.ID, *in.Body.CancelAtPeriodEnd); err != nil {
			return nil, err
		}
	}
	sub, err := s.svc.Subscription(ctx, p, in.ID)
	if err != nil {
		return nil, err
	}
	return reply(subscriptionResponse(sub, s.svc.Now())), nil
}

func (s *Handler) userStatuses(ctx context.Context, p billing.Principal) (map[string]market.Subscription, error) {
	subs, err := s.svc.Subscriptions(ctx, p, billing.Page{Limit: 1000})
	m := map[string]market.Subscription{}
	for _, x := range subs {
		m[x.ID] = x
	}
	return m, err
}

func (s *Handler) ListUsers(ctx context.Context, p billing.Principal, in *listIn) (*out[List[UserResponse]], error) {
	users, err := s.svc.Users(ctx, p)
	if err != nil {
		return nil, err
	}
	subs, err := s.userStatuses(ctx, p)
	if err != nil {
		return nil, err
	}
	users, err = after(users, in.StartingAfter, func(u market.User) string { return u.ID })
	if err != nil {
		return nil, err
	}
	now := s.svc.Now()
	return reply(listOf(users, in.Limit, func(u market.User) UserResponse { return userResponse(u, billing.UserStatus(u, subs, now)) })), nil
}

type userIn struct {
	idemHeader
	Body billing.UserInput
}

func (s *Handler) CreateUser(ctx context.Context, p billing.Principal, in *userIn) (*out[UserResponse], error) {
	u, err := s.svc.CreateUser(ctx, p, in.Body)
	if err != nil {
		return nil, err
	}
	return reply(userResponse(u, "active")), nil
}

func (s *Handler) DeleteUser(ctx context.Context, p billing.Principal, in *idPath) (*out[Deleted], error) {
	if err := s.svc.DeleteUser(ctx, p, in.ID); err != nil {
		return nil, err
	}
	return reply(Deleted{ID: in.ID, Deleted: true}), nil
}

type transactionsIn struct {
	PageParams
	Purpose string    `query:"purpose" enum:"balance_refill,subscription_purchase,renewal,upgrade,licenses,phone_number,number_rental,refund,adjustment,order," doc:"Only this purpose."`
	From    time.Time `query:"from" doc:"Only payments at or after this time."`
	To      time.Time `query:"to" doc:"Only payments before this time."`
	Format  string    `query:"format" enum:"json,csv," doc:"csv: the same rows as CSV."`
}

func (s *Handler) ListTransactions(ctx context.Context, p billing.Principal, in *transactionsIn) (*out[List[TransactionResponse]], error) {
	f := billing.PaymentFilter{Purpose: in.Purpose, Page: in.page()}
	if !in.From.IsZero() {
		f.From = &in.From
	}
	if !in.To.IsZero() {
		f.To = &in.To
	}
	if in.Format == "csv" && in.Limit == 0 {
		f.Limit = 1000
	}
	if err := knownCursor(in.StartingAfter, func() error {
		pay, err := s.svc.Reads().PaymentByID(ctx, in.StartingAfter)
		if err == nil && pay.CustomerID != p.CustomerID {
			err = market.NotFound("payment")
		}
		return err
	}); err != nil {
		return nil, err
	}
	rows, err := s.svc.Transactions(ctx, p, f)
	if err != nil {
		return nil, err
	}
	return reply(listOf(rows, f.Limit, transactionResponse)), nil
}

func (s *Handler) ListBalanceEntries(ctx context.Context, p billing.Principal, in *listIn) (*out[List[EntryResponse]], error) {
	if err := knownCursor(in.StartingAfter, func() error {
		return found(s.svc.Reads().HasBalanceEntry(ctx, p.CustomerID, in.StartingAfter))
	}); err != nil {
		return nil, err
	}
	rows, err := s.svc.BalanceEntries(ctx, p, in.page())
	if err != nil {
		return nil, err
	}
	return reply(listOf(rows, in.Limit, entryResponse)), nil
}
