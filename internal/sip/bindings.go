package sip

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	gosip "github.com/emiago/sipgo/sip"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// This file reads a REGISTER's contacts and changes an account's bindings.

// contactOp is one Contact of a REGISTER: set it for Expires seconds, or
// remove it (0).
type contactOp struct {
	uri     string
	expires int
}

// maxContactLen bounds a contact URI and a User-Agent we keep.
const maxContactLen = 512

// contacts reads the Contact headers and expiry of a REGISTER. bad names
// what is wrong with them, if anything.
func (r *Registrar) contacts(req *gosip.Request) (ops []contactOp, wildcard bool, bad string) {
	expires := r.cfg.DefaultExpires
	hasExpires := false
	if h := req.GetHeader("Expires"); h != nil {
		v, ok := seconds(h.Value())
		if !ok {
			return nil, false, "Expires must be a number of seconds"
		}
		expires, hasExpires = v, true
	}
	hs := req.GetHeaders("Contact")
	for _, h := range hs {
		c, ok := h.(*gosip.ContactHeader)
		if !ok {
			return nil, false, "a Contact cannot be read"
		}
		if c.Address.Wildcard {
			if len(hs) != 1 || !hasExpires || expires != 0 {
				return nil, false, "Contact * needs Expires: 0 and no other Contact"
			}
			return nil, true, ""
		}
		e := expires
		if v, ok := c.Params.Get("expires"); ok {
			n, ok := seconds(v)
			if !ok {
				return nil, false, "a Contact's expires must be a number of seconds"
			}
			e = n
		}
		scheme := strings.ToLower(c.Address.Scheme)
		if (scheme != "sip" && scheme != "sips") || c.Address.Host == "" {
			return nil, false, "a Contact must be a sip: or sips: URI with a host"
		}
		uri := c.Address.String()
		if len(uri) > maxContactLen || !cleanText(uri) {
			return nil, false, "a Contact is too long or not text"
		}
		ops = append(ops, contactOp{uri: uri, expires: e})
	}
	if len(ops) > r.cfg.MaxContacts {
		return nil, false, "too many Contacts"
	}
	return ops, false, ""
}

// seconds reads a delta-seconds value; one too large for 32 bits counts
// as the largest (RFC 3261 section 20.19), and is shortened to the maximum.
func seconds(s string) (int, bool) {
	v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
	if errors.Is(err, strconv.ErrRange) {
		return 1<<31 - 1, true
	}
	return int(min(v, 1<<31-1)), err == nil
}

// cleanText reports whether s can be stored by both stores (PostgreSQL
// refuses NUL characters and invalid UTF-8).
func cleanText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// text makes s storable and at most n bytes long.
func text(s string, n int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "?"), "\x00", "")
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "")
	}
	return s
}

// apply changes the bindings of a as the REGISTER asks (RFC 3261 section
// 10.3, steps 6-7): a contact with the same Call-ID as its binding must
// come with a higher CSeq. existing are a's live bindings (the lapsed ones
// are gone, settleLive); it returns the live ones after the change, oldest
// first, as the database now holds them.
func (r *Registrar) apply(ctx context.Context, q *store.Q, a store.SIPAccount, req *gosip.Request, ops []contactOp, wildcard bool,
	existing []store.SIPBinding, now time.Time) ([]store.SIPBinding, error) {
	callID, cseq := string(*req.CallID()), int64(req.CSeq().SeqNo)
	outOfOrder := &outcome{code: gosip.StatusBadRequest, reason: "Bad Request: CSeq is not higher than the binding's", metric: "cseq_out_of_order"}
	if wildcard {
		for _, b := range existing {
			if b.CallID == callID && cseq <= b.CSeq {
				return nil, outOfOrder
			}
		}
		_, err := q.DeleteSIPBindings(ctx, a.ID, now)
		return nil, err
	}
	byContact := make(map[string]store.SIPBinding, len(existing)+len(ops))
	for _, b := range existing {
		byContact[b.Contact] = b
	}
	ua := ""
	if h := req.GetHeader("User-Agent"); h != nil {
		ua = text(h.Value(), 200)
	}
	transport := text(strings.ToUpper(req.Transport()), 10)
	source := text(req.Source(), 100)
	for _, op := range ops {
		old, had := byContact[op.uri]
		if had && old.CallID == callID && cseq <= old.CSeq {
			return nil, outOfOrder
		}
		if op.expires == 0 {
			if had {
				if err := q.DeleteSIPBinding(ctx, a.ID, op.uri); err != nil {
					return nil, err
				}
				delete(byContact, op.uri)
			}
			continue
		}
		b := store.SIPBinding{ID: r.ids.New("reg"), SIPAccountID: a.ID, CustomerID: a.CustomerID, Contact: op.uri, UserAgent: ua,
			Source: source, Transport: transport, CallID: text(callID, 200), CSeq: cseq,
			ExpiresAt: clock.Normalize(now.Add(time.Duration(op.expires) * time.Second)), CreatedAt: clock.Normalize(now), UpdatedAt: clock.Normalize(now)}
		if had {
			b.ID, b.CreatedAt = old.ID, old.CreatedAt // a refresh keeps both (PutSIPBinding)
		}
		if err := q.PutSIPBinding(ctx, b); err != nil {
			return nil, err
		}
		byContact[op.uri] = b
	}
	live := make([]store.SIPBinding, 0, len(byContact))
	for _, b := range byContact {
		live = append(live, b)
	}
	slices.SortFunc(live, func(x, y store.SIPBinding) int {
		if c := x.CreatedAt.Compare(y.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	return live, nil
}

// suspended reports whether a is a user's account whose subscription is no
// longer in force (expired, past due or canceled: the user is suspended).
func (r *Registrar) suspended(ctx context.Context, q *store.Q, a store.SIPAccount) (bool, error) {
	if a.Kind != "user" || a.UserID == "" {
		return false, nil
	}
	u, err := q.User(ctx, a.CustomerID, a.UserID)
	if market.IsCode(err, market.CodeNotFound) {
		return true, nil
	}
	if err != nil || u.SubscriptionID == "" {
		return false, err
	}
	sub, err := q.Subscription(ctx, a.CustomerID, u.SubscriptionID)
	if market.IsCode(err, market.CodeNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return billing.UserStatus(u, map[string]market.Subscription{sub.ID: sub}, r.cfg.Clock.Now()) == "suspended", nil
}
