package inventory

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"

	"github.com/dialtone/dialtone/internal/address"
)

// A numbering plan is what libphonenumber's metadata says of a country's
// national (significant) numbers: how many digits they have, and the
// ranges of each kind of number (fixed line, mobile, toll-free, premium
// rate …). Validate checks every number against its country's plan and
// the row's type against the kind of the number.
//
// libphonenumber's own functions build a regular expression's text and look
// it up in a locked cache for every range they try, match each expression
// twice and, for North America, try the numbering plan of every country
// sharing +1 in turn; an import of 100,000 rows then takes seconds. The
// plans here are compiled once, from the same metadata, for the countries
// the inventory supports, and a number is matched against its own
// country's plan only, each range once. TestNumberKindMatchesLibphonenumber
// checks that the kinds agree with phonenumbers.GetNumberType.

// numberKind is the kind of a number in its country's plan:
// phonenumbers.UNKNOWN when the number is in no range of the plan.
type numberKind = phonenumbers.PhoneNumberType

// numberDesc is one range of a plan (a PhoneNumberDesc of the metadata).
type numberDesc struct {
	re      *regexp.Regexp // nil: the plan has no such numbers
	lengths []int32        // empty: any length of the general range
}

// match reports whether the national number nsn is in the range, as
// libphonenumber's isNumberMatchingDesc does.
func (d numberDesc) match(nsn string) bool {
	if d.re == nil {
		return false
	}
	if len(d.lengths) > 0 && !slices.Contains(d.lengths, int32(len(nsn))) {
		return false
	}
	return d.re.MatchString(nsn)
}

// numberPlan is a supported country's name and numbering plan, compiled.
type numberPlan struct {
	name    string // in English, from internal/address
	calling string // the country calling code, without "+"
	general numberDesc
	lengths []int // possible lengths of its national numbers, ascending
	trunk   string
	// special are the ranges libphonenumber tries before fixed and mobile
	// numbers, in its order.
	special         []kindDesc
	fixed, mobile   numberDesc
	sameFixedMobile bool
}

type kindDesc struct {
	kind numberKind
	desc numberDesc
}

// kind returns the kind of the national number nsn, as libphonenumber's
// getNumberTypeHelper does.
func (p *numberPlan) kind(nsn string) numberKind {
	if !p.general.match(nsn) {
		return phonenumbers.UNKNOWN
	}
	for _, s := range p.special {
		if s.desc.match(nsn) {
			return s.kind
		}
	}
	if p.fixed.match(nsn) {
		if p.sameFixedMobile || p.mobile.match(nsn) {
			return phonenumbers.FIXED_LINE_OR_MOBILE
		}
		return phonenumbers.FIXED_LINE
	}
	if !p.sameFixedMobile && p.mobile.match(nsn) {
		return phonenumbers.MOBILE
	}
	return phonenumbers.UNKNOWN
}

// plans returns the numbering plans of the countries whose numbers can be
// in the inventory, by ISO 3166-1 alpha-2 code, compiled on first use and
// never changed after.
var plans = sync.OnceValue(func() map[string]*numberPlan {
	supported := []string{"AT", "AU", "BE", "CA", "CH", "CZ", "DE", "DK", "ES", "FI", "FR", "GB",
		"IE", "IT", "LU", "NL", "NO", "NZ", "PL", "PT", "SE", "UA", "US"}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		panic("inventory: libphonenumber metadata: " + err.Error())
	}
	out := make(map[string]*numberPlan, len(supported))
	for _, m := range coll.GetMetadata() {
		if slices.Contains(supported, m.GetId()) {
			out[m.GetId()] = compilePlan(m)
		}
	}
	for _, code := range supported {
		name, ok := address.CountryName(code)
		if out[code] == nil || !ok {
			panic("inventory: no numbering plan or no name for " + code)
		}
		out[code].name = name
	}
	return out
})

func compilePlan(m *phonenumbers.PhoneMetadata) *numberPlan {
	desc := func(d *phonenumbers.PhoneNumberDesc) numberDesc {
		if d == nil || d.GetNationalNumberPattern() == "" {
			return numberDesc{}
		}
		return numberDesc{re: regexp.MustCompile("^(?:" + d.GetNationalNumberPattern() + ")$"), lengths: d.PossibleLength}
	}
	p := &numberPlan{
		calling: strconv.Itoa(int(m.GetCountryCode())),
		general: desc(m.GetGeneralDesc()),
		trunk:   m.GetNationalPrefix(),
		special: []kindDesc{
			{phonenumbers.PREMIUM_RATE, desc(m.GetPremiumRate())},
			{phonenumbers.TOLL_FREE, desc(m.GetTollFree())},
			{phonenumbers.SHARED_COST, desc(m.GetSharedCost())},
			{phonenumbers.VOIP, desc(m.GetVoip())},
			{phonenumbers.PERSONAL_NUMBER, desc(m.GetPersonalNumber())},
			{phonenumbers.PAGER, desc(m.GetPager())},
			{phonenumbers.UAN, desc(m.GetUan())},
			{phonenumbers.VOICEMAIL, desc(m.GetVoicemail())},
		},
		fixed:           desc(m.GetFixedLine()),
		mobile:          desc(m.GetMobile()),
		sameFixedMobile: m.GetSameMobileAndFixedLinePattern(),
	}
	for _, l := range m.GetGeneralDesc().PossibleLength {
		if l > 0 {
			p.lengths = append(p.lengths, int(l))
		}
	}
	slices.Sort(p.lengths)
	return p
}

// checkNumber reports the kind of an E.164 number in the country's plan, or
// what is wrong with the number for the country.
func (p *numberPlan) checkNumber(num string) (numberKind, string) {
	cc := "+" + p.calling
	if !strings.HasPrefix(num, cc) {
		return phonenumbers.UNKNOWN, "is not a number of " + p.name + " (" + cc + ")"
	}
	nsn := num[len(cc):]
	if !slices.Contains(p.lengths, len(nsn)) {
		return phonenumbers.UNKNOWN, fmt.Sprintf("must have %s digits after %s, not %d", lengthsText(p.lengths), cc, len(nsn))
	}
	k := p.kind(nsn)
	switch {
	case k == phonenumbers.UNKNOWN && p.trunk == "0" && nsn[0] == '0':
		return k, "must not have the trunk prefix 0 after " + cc
	case k == phonenumbers.UNKNOWN:
		return k, "is in no range of numbers of the numbering plan of " + p.name + " (" + cc + ")"
	}
	if kindTypes(k) == nil {
		return k, "is " + kindWords(k) + " in the numbering plan of " + p.name +
			": only local, mobile and toll-free numbers can be sold"
	}
	return k, ""
}

// kindTypes returns the Row.Type values a number of kind k may be imported
// as: a number that libphonenumber cannot tell to be fixed-line or mobile
// (FIXED_LINE_OR_MOBILE, as all of North America's) may be either. Numbers
// of other kinds (premium rate, shared cost, VoIP, personal, pager, UAN,
// voicemail) get nil: they are refused.
func kindTypes(k numberKind) []string {
	switch k {
	case phonenumbers.FIXED_LINE:
		return []string{TypeLocal}
	case phonenumbers.MOBILE:
		return []string{TypeMobile}
	case phonenumbers.FIXED_LINE_OR_MOBILE:
		return []string{TypeLocal, TypeMobile}
	case phonenumbers.TOLL_FREE:
		return []string{TypeTollFree}
	}
	return nil
}

// checkType reports what is wrong with the declared type of a number of
// kind k in the country, or "".
func checkType(typ string, k numberKind, countryName string) string {
	allowed := kindTypes(k)
	if slices.Contains(allowed, typ) {
		return ""
	}
	return "must be " + strings.Join(allowed, " or ") + ": the number is " + kindWords(k) +
		" in the numbering plan of " + countryName
}

func kindWords(k numberKind) string {
	switch k {
	case phonenumbers.FIXED_LINE:
		return "a fixed-line (local) number"
	case phonenumbers.MOBILE:
		return "a mobile number"
	case phonenumbers.FIXED_LINE_OR_MOBILE:
		return "a fixed-line or mobile number"
	case phonenumbers.TOLL_FREE:
		return "a toll-free number"
	case phonenumbers.PREMIUM_RATE:
		return "a premium-rate number"
	case phonenumbers.SHARED_COST:
		return "a shared-cost number"
	case phonenumbers.VOIP:
		return "a VoIP number"
	case phonenumbers.PERSONAL_NUMBER:
		return "a personal number"
	case phonenumbers.PAGER:
		return "a pager number"
	case phonenumbers.UAN:
		return "a universal access number"
	case phonenumbers.VOICEMAIL:
		return "a voicemail number"
	}
	return "a number of unknown kind"
}

// lengthsText says "10", "9 or 10" or "5 to 12" of ascending lengths.
func lengthsText(ls []int) string {
	switch {
	case len(ls) == 1:
		return strconv.Itoa(ls[0])
	case len(ls) > 2 && ls[len(ls)-1]-ls[0] == len(ls)-1:
		return fmt.Sprintf("%d to %d", ls[0], ls[len(ls)-1])
	}
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = strconv.Itoa(l)
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// National returns an E.164 number as it is written within its country
// ("+493012345678" -> "030 12345678", "+14155550123" -> "(415) 555-0123"),
// by libphonenumber's formatting rules, for display. A number that is not
// E.164 is returned unchanged.
func National(e164 string) string {
	n, ok := E164(e164)
	if !ok {
		return e164
	}
	pn, err := phonenumbers.Parse(n, "")
	if err != nil {
		return e164
	}
	return phonenumbers.Format(pn, phonenumbers.NATIONAL)
}
