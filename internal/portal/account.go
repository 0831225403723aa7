package portal

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/id"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/web"
)

// Main settings: Users and the SIP manager (this file), Notifications and
// Invoices (invoices.go), Payment methods and Billing addresses
// (wallet.go), Account settings (settings.go). Their routes are in
// server/routes.go with every other.

// errForbidden is what a login that is not the owner or an admin gets for
// a change only they may make.
var errForbidden = &market.Error{Code: market.CodeForbidden, Message: "only the account's owner or an admin may do this"}

// userRow is a user as the Users page lists it.
type userRow struct {
	market.User
	Owner    bool
	Status   string
	SubLabel string // "Cloud Contact Center Business", "" without a subscription
	SIPUser  string
}

// seatChoice is a subscription users can be created on.
type seatChoice struct {
	ID, Label   string
	Used, Total int
	Full        bool
}

// usersData is the Users page.
type usersData struct {
	Users []userRow
	Subs  []seatChoice
	// LimitSub is the subscription whose licenses are all in use, after a
	// refused creation (the error links to buying more).
	LimitSub string
	Key      string
}

// loadUsers reads the users with their subscriptions and SIP accounts, and
// the subscriptions users can be created on.
func (s *Handler) loadUsers(r *http.Request, p billing.Principal) (usersData, error) {
	ctx := r.Context()
	var d usersData
	users, err := s.svc.Users(ctx, p)
	if err != nil {
		return d, err
	}
	rows, err := s.subRows(ctx, p)
	if err != nil {
		return d, err
	}
	sips, err := s.svc.SIPAccounts(ctx, p)
	if err != nil {
		return d, err
	}
	subs := make(map[string]market.Subscription, len(rows))
	labels := make(map[string]string, len(rows))
	for _, row := range rows {
		subs[row.ID] = row.Subscription
		labels[row.ID] = row.Name()
		if (row.Status == market.StatusActive || row.Status == market.StatusTrialing) && market.HasUsers(row.Product) {
			d.Subs = append(d.Subs, seatChoice{ID: row.ID, Label: row.Name(), Used: row.Users,
				Total: row.Quantity, Full: row.Users >= row.Quantity})
		}
	}
	sipUser := make(map[string]string, len(sips))
	for _, a := range sips {
		sipUser[a.ID] = a.Username
	}
	now := s.svc.Now()
	for _, u := range users {
		d.Users = append(d.Users, userRow{User: u, Owner: u.Role == "owner", Status: billing.UserStatus(u, subs, now),
			SubLabel: labels[u.SubscriptionID], SIPUser: sipUser[u.SIPAccountID]})
	}
	return d, nil
}

func (s *Handler) UsersPage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	s.showUsers(w, r, p, newForm(r.URL.Query()), http.StatusOK)
}

func (s *Handler) showUsers(w http.ResponseWriter, r *http.Request, p billing.Principal, f *form, status int) {
	d, err := s.loadUsers(r, p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if f.Get("subscription") == "" {
		for _, c := range d.Subs {
			if !c.Full {
				f.Values.Set("subscription", c.ID)
				break
			}
		}
	}
	if f.Code == string(market.CodeLicenseLimitReached) {
		d.LimitSub = f.Get("subscription")
	}
	d.Key = id.Secret(12)
	s.render(w, r, status, "users", view{Title: "Users", Nav: "users", Form: f, Data: d})
}

// userFields maps CreateUser's params onto the form.
var userFields = map[string]string{"name": "name", "email": "email", "subscription": "subscription"}

// UsersPost creates a user on a subscription (once per form key).
func (s *Handler) UsersPost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	if !p.IsAdmin() {
		s.pageError(w, r, errForbidden)
		return
	}
	ctx := r.Context()
	f := newForm(r.PostForm)
	in := billing.UserInput{Name: f.Get("name"), Email: f.Get("email"), Subscription: f.Get("subscription")}
	var made market.User
	to, err := s.once(ctx, p, f.Get("key"), func() (string, error) {
		u, err := s.svc.CreateUser(ctx, p, in)
		made = u
		return "/users#user-" + u.ID, err
	})
	if err != nil {
		s.fail(r, f, err, userFields)
		if market.IsCode(err, market.CodeLicenseLimitReached) {
			f.Errors["subscription"] = s.licenseWords(r, p, in.Subscription)
		}
		s.showUsers(w, r, p, f, web.PageStatus(err))
		return
	}
	flash := ""
	if made.ID != "" {
		flash = fmt.Sprintf("User %s was created with extension %s and a SIP account.", made.Name, made.Extension)
	}
	s.redirect(w, r, to, flash)
}

// licenseWords says that a subscription's licenses are all in use:
// "All 5 licenses of Business are in use."
func (s *Handler) licenseWords(r *http.Request, p billing.Principal, subID string) string {
	row, err := s.subRow(r, p, subID)
	if err != nil {
		return "All licenses of this subscription are in use."
	}
	if row.Quantity == 1 {
		return fmt.Sprintf("The only license of %s is in use.", row.PlanName)
	}
	return fmt.Sprintf("All %d licenses of %s are in use.", row.Quantity, row.PlanName)
}

// userDeleteData is the confirmation of a user's deletion.
type userDeleteData struct {
	User    userRow
	Numbers []string
}

// userToDelete reads the user of the path to delete, for an admin only.
// Errors: not_found, then forbidden.
func (s *Handler) userToDelete(r *http.Request, p billing.Principal) (userDeleteData, error) {
	d, err := s.findUserToDelete(r, p)
	if err == nil && !p.IsAdmin() {
		return d, errForbidden
	}
	return d, err
}

func (s *Handler) findUserToDelete(r *http.Request, p billing.Principal) (userDeleteData, error) {
	d, err := s.loadUsers(r, p)
	if err != nil {
		return userDeleteData{}, err
	}
	for _, u := range d.Users {
		if u.ID != r.PathValue("id") {
			continue
		}
		out := userDeleteData{User: u}
		if u.SIPAccountID != "" {
			nums, err := s.svc.Numbers(r.Context(), p)
			if err != nil {
				return out, err
			}
			for _, n := range nums {
				if n.SIPAccountID == u.SIPAccountID {
					out.Numbers = append(out.Numbers, n.Number)
				}
			}
		}
		return out, nil
	}
	return userDeleteData{}, market.NotFound("user")
}

// UserDeletePage asks to confirm a user's deletion and says what it means.
func (s *Handler) UserDeletePage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	d, err := s.userToDelete(r, p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "users_delete", view{Title: "Delete user", Nav: "users", Form: newForm(nil), Data: d})
}

func (s *Handler) UserDeletePost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	d, err := s.userToDelete(r, p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if err := s.svc.DeleteUser(r.Context(), p, d.User.ID); err != nil {
		f := newForm(nil)
		s.fail(r, f, err, map[string]string{})
		s.render(w, r, web.PageStatus(err), "users_delete", view{Title: "Delete user", Nav: "users", Form: f, Data: d})
		return
	}
	s.redirect(w, r, "/users", fmt.Sprintf("User %s was deleted; their license is free again.", d.User.Name))
}

// sipRow is a SIP account as the SIP manager lists it.
type sipRow struct {
	market.SIPAccount
	UserName  string
	Extension string
	Numbers   []string
	Connected bool
	// Since is when the oldest of its live registrations began (the
	// account is connected since then); zero when not connected.
	Since time.Time
	// Registrations are the devices registered now (live bindings).
	Registrations []market.SIPBinding
}

// sipRows reads the customer's SIP accounts with their users and numbers.
func (s *Handler) sipRows(r *http.Request, p billing.Principal) ([]sipRow, error) {
	ctx := r.Context()
	l, err := s.svc.Reads().SIPLines(ctx, p.CustomerID)
	if err != nil {
		return nil, err
	}
	users, err := s.svc.Users(ctx, p)
	if err != nil {
		return nil, err
	}
	byUser := make(map[string]market.User, len(users))
	for _, u := range users {
		byUser[u.ID] = u
	}
	byAcct := map[string][]string{}
	for _, n := range l.Numbers {
		if n.SIPAccountID != "" {
			byAcct[n.SIPAccountID] = append(byAcct[n.SIPAccountID], n.Number)
		}
	}
	rows := make([]sipRow, 0, len(l.Accounts))
	for _, a := range l.Accounts {
		row := sipRow{SIPAccount: a, Numbers: byAcct[a.ID]}
		for _, b := range l.Bindings {
			if b.SIPAccountID == a.ID {
				row.Registrations = append(row.Registrations, b)
			}
		}
		row.Connected = len(row.Registrations) > 0
		for _, b := range row.Registrations {
			if row.Since.IsZero() || b.CreatedAt.Before(row.Since) {
				row.Since = b.CreatedAt
			}
		}
		if u, ok := byUser[a.UserID]; ok {
			row.UserName, row.Extension = u.Name, u.Extension
		}
		sort.Strings(row.Numbers)
		rows = append(rows, row)
	}
	// The trunk first, then the users' accounts in the order they came.
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Kind == "trunk" && rows[j].Kind != "trunk" })
	return rows, nil
}

func (s *Handler) SipPage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	rows, err := s.sipRows(r, p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "sip", view{Title: "SIP manager", Nav: "sip", Data: rows})
}

// sipAccountData is one SIP account's credentials.
type sipAccountData struct {
	sipRow
	// ShowPassword: only the owner or an admin sees the password, and
	// only once (Password is then "").
	ShowPassword bool
	// Rotated: the password shown was made just now.
	Rotated bool
}

// sipRowOf returns the SIP manager's row of the account of the path.
func (s *Handler) sipRowOf(r *http.Request, p billing.Principal) (sipRow, bool, error) {
	rows, err := s.sipRows(r, p)
	if err != nil {
		return sipRow{}, false, err
	}
	for _, row := range rows {
		if row.ID == r.PathValue("id") {
			return row, true, nil
		}
	}
	return sipRow{}, false, nil
}

func (s *Handler) SipAccountPage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	row, ok, err := s.sipRowOf(r, p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if !ok {
		s.NotFound(w, r)
		return
	}
	d := sipAccountData{sipRow: row, ShowPassword: p.IsAdmin()}
	d.Password = ""
	if d.ShowPassword {
		// Shown once: from now on only its HA1s are kept.
		a, err := s.svc.RevealSIPPassword(r.Context(), p, row.ID)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		d.Password = a.Password
	}
	s.render(w, r, http.StatusOK, "sip_account", view{Title: "SIP account " + row.Username, Nav: "sip", Data: d})
}

// sipRowToRotate reads the SIP account of the page's path for a rotation
// of its password, or answers the page (not found, forbidden: only the
// owner or an admin rotates) and returns false.
func (s *Handler) sipRowToRotate(w http.ResponseWriter, r *http.Request, p billing.Principal) (sipRow, bool) {
	row, ok, err := s.sipRowOf(r, p)
	switch {
	case err != nil:
		s.pageError(w, r, err)
	case !ok:
		s.NotFound(w, r)
	case !p.IsAdmin():
		s.pageError(w, r, errForbidden)
	default:
		return row, true
	}
	return sipRow{}, false
}

// SipRotatePage asks to confirm a new SIP password.
func (s *Handler) SipRotatePage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	row, ok := s.sipRowToRotate(w, r, p)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "sip_rotate", view{Title: "Rotate the password of " + row.Username, Nav: "sip", Form: newForm(nil), Data: row})
}

// SipRotatePost makes a new SIP password and shows it, this once.
func (s *Handler) SipRotatePost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	row, ok := s.sipRowToRotate(w, r, p)
	if !ok {
		return
	}
	a, err := s.svc.RotateSIPPassword(r.Context(), p, row.ID)
	if err != nil {
		f := newForm(nil)
		s.fail(r, f, err, map[string]string{})
		s.render(w, r, web.PageStatus(err), "sip_rotate", view{Title: "Rotate the password of " + row.Username, Nav: "sip", Form: f, Data: row})
		return
	}
	// Its devices were unregistered: read the row again.
	if row, _, err = s.sipRowOf(r, p); err != nil {
		s.pageError(w, r, err)
		return
	}
	row.Password = a.Password
	s.render(w, r, http.StatusOK, "sip_account", view{Title: "SIP account " + row.Username, Nav: "sip",
		Data: sipAccountData{sipRow: row, ShowPassword: true, Rotated: true}})
}

// pageLink is the address of the next page of a list: the same path with
// starting_after set to the last row shown.
func pageLink(path, after string) string {
	return path + "?" + url.Values{"starting_after": {after}}.Encode()
}
