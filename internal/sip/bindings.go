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

// plan works out what a REGISTER changes of the locked account a's
// bindings, from the rows read as it was locked (lk), and returns the
// live bindings after the change, oldest first, and whether the REGISTER
// is refused because a's user is suspended (its bindings go all the
// same). A change that is no change of state is only returned, for the
// store to write with its COMMIT; a change of state is written here,
// through q, in the order that Config.Events sees it: the lapsed bindings
// deleted (and its registration expired if that left none), then the
// REGISTER's changes (and it registered or unregistered).
func (r *Registrar) plan(ctx context.Context, q *store.Q, a market.SIPAccount, lk store.SIPRegisterLock, req *gosip.Request,
	ops []contactOp, wildcard bool, now time.Time) (live []market.SIPBinding, refused bool, ch store.SIPBindingChanges, err error) {
	before := make([]market.SIPBinding, 0, len(lk.Bindings))
	for _, b := range lk.Bindings {
		if b.ExpiresAt.After(now) {
			before = append(before, b)
		}
	}
	lapsed := store.SIPBindingChanges{AccountID: a.ID, Now: now, DeleteLapsed: len(before) < len(lk.Bindings)}
	expired := lapsed.DeleteLapsed && len(before) == 0
	ch = store.SIPBindingChanges{AccountID: a.ID, Now: now}
	changed, why := false, ""
	if lk.Suspended {
		refused = true
		if len(before) > 0 {
			ch.DeleteAll = true
			changed, why = true, "its user's subscription is not in force"
		}
	} else {
		if live, err = r.apply(a, req, ops, wildcard, before, now, &ch); err != nil {
			return nil, false, ch, err
		}
		if len(live) > r.cfg.MaxContacts {
			return nil, false, ch, &outcome{code: gosip.StatusForbidden, reason: "Forbidden: too many registered contacts", metric: "too_many_contacts"}
		}
		switch {
		case len(before) == 0 && len(live) > 0:
			changed = true
		case len(before) > 0 && len(live) == 0:
			changed, why = true, "its device unregistered"
		}
	}
	if !expired && !changed {
		ch.DeleteLapsed = lapsed.DeleteLapsed
		return live, refused, ch, nil
	}
	if err = q.ApplySIPBindingChanges(ctx, lapsed); err != nil {
		return nil, false, ch, err
	}
	if expired {
		if err = r.changed(ctx, q, a, nil, "its registration expired", now); err != nil {
			return nil, false, ch, err
		}
	}
	if !changed {
		return live, refused, ch, nil
	}
	if err = q.ApplySIPBindingChanges(ctx, ch); err != nil {
		return nil, false, ch, err
	}
	return live, refused, store.SIPBindingChanges{}, r.changed(ctx, q, a, live, why, now)
}

// apply works out the changes of a's bindings that the REGISTER asks (RFC
// 3261 section 10.3, steps 6-7) into ch: a contact with the same Call-ID
// as its binding must come with a higher CSeq. existing are a's live
// bindings; it returns the live ones after the change, oldest first, as
// the database will hold them once ch is written.
func (r *Registrar) apply(a market.SIPAccount, req *gosip.Request, ops []contactOp, wildcard bool,
	existing []market.SIPBinding, now time.Time, ch *store.SIPBindingChanges) ([]market.SIPBinding, error) {
	callID, cseq := string(*req.CallID()), int64(req.CSeq().SeqNo)
	outOfOrder := &outcome{code: gosip.StatusBadRequest, reason: "Bad Request: CSeq is not higher than the binding's", metric: "cseq_out_of_order"}
	if wildcard {
		for _, b := range existing {
			if b.CallID == callID && cseq <= b.CSeq {
				return nil, outOfOrder
			}
		}
		ch.DeleteAll = true
		return nil, nil
	}
	byContact := make(map[string]market.SIPBinding, len(existing)+len(ops))
	for _, b := range existing {
		byContact[b.Contact] = b
	}
	ua := ""
	if h := req.GetHeader("User-Agent"); h != nil {
		ua = text(h.Value(), 200)
	}
	transport := text(strings.ToUpper(req.Transport()), 10)
	source := text(req.Source(), 100)
	// What is written: the rows removed (first), then those put (a
	// contact removed and then set again in one REGISTER is both).
	removed, put := map[string]bool{}, map[string]bool{}
	var order []string
	for _, op := range ops {
		old, had := byContact[op.uri]
		if had && old.CallID == callID && cseq <= old.CSeq {
			return nil, outOfOrder
		}
		if op.expires == 0 {
			if had {
				removed[op.uri] = true
				delete(byContact, op.uri)
				delete(put, op.uri)
			}
			continue
		}
		b := market.SIPBinding{ID: r.ids.New("reg"), SIPAccountID: a.ID, CustomerID: a.CustomerID, Contact: op.uri, UserAgent: ua,
			Source: source, Transport: transport, CallID: text(callID, 200), CSeq: cseq,
			ExpiresAt: clock.Normalize(now.Add(time.Duration(op.expires) * time.Second)), CreatedAt: clock.Normalize(now), UpdatedAt: clock.Normalize(now)}
		if had {
			b.ID, b.CreatedAt = old.ID, old.CreatedAt // a refresh keeps both (PutSIPBinding)
		}
		byContact[op.uri] = b
		if !slices.Contains(order, op.uri) {
			order = append(order, op.uri)
		}
		put[op.uri] = true
	}
	for _, b := range existing {
		if removed[b.Contact] {
			ch.Delete = append(ch.Delete, b.Contact)
		}
	}
	for _, c := range order {
		if put[c] {
			ch.Put = append(ch.Put, byContact[c])
		}
	}
	live := make([]market.SIPBinding, 0, len(byContact))
	for _, b := range byContact {
		live = append(live, b)
	}
	slices.SortFunc(live, func(x, y market.SIPBinding) int {
		if c := x.CreatedAt.Compare(y.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	return live, nil
}
