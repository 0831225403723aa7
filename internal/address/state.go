package address

import "slices"

// State is a state, province or territory of a country with states: its code
// as used in postal addresses ("NY", "QC", "NSW") and its English name.
type State struct {
	Code string
	Name string
}

// stateRule is what Validate needs to know about a country with states.
type stateRule struct {
	states  []State // sorted by name
	label   string  // what the customer calls the field there
	example string  // a valid code, for messages
}

// stateRules lists the countries whose postal addresses need a state. Codes
// are the ISO 3166-2 subdivision codes without the country prefix, which are
// also the postal abbreviations; the United States adds the USPS codes for
// military mail (AA, AE, AP).
var stateRules = map[string]stateRule{
	"AU": {statesAU, "state or territory", "NSW"},
	"CA": {statesCA, "province or territory", "ON"},
	"US": {statesUS, "state", "NY"},
}

// HasStates reports whether an address in the country (an upper-case ISO
// 3166-1 alpha-2 code) needs a state, province or territory: true for AU, CA
// and US. For those Validate requires State to be one of States(country).
func HasStates(country string) bool {
	_, ok := stateRules[country]
	return ok
}

// States returns the states, provinces and territories of a country for
// which HasStates is true, sorted by name, and nil for any other country. The
// slice is new on every call and the caller may change it.
func States(country string) []State {
	r, ok := stateRules[country]
	if !ok {
		return nil
	}
	return slices.Clone(r.states)
}

// isState reports whether code is one of the country's state codes.
func isState(country, code string) bool {
	_, ok := stateName(country, code)
	return ok
}

// stateName returns the name of one of the country's state codes.
func stateName(country, code string) (string, bool) {
	for _, s := range stateRules[country].states {
		if s.Code == code {
			return s.Name, true
		}
	}
	return "", false
}

// This package owns the one table of states; the number inventory
// (internal/inventory) files the numbers of AU, CA and US by state with
// the same codes and names.

// PhoneState returns the English name of a state, province or territory
// under which phone numbers of the country are filed: any of States(country)
// except the codes that only postal addresses use (postalOnly). ok is false
// for any other code or country.
func PhoneState(country, code string) (name string, ok bool) {
	if postalOnly(country, code) {
		return "", false
	}
	return stateName(country, code)
}

// postalOnly reports whether a state code is one of postal addresses only,
// under which no phone number is filed: the US military mail codes (AA,
// AE, AP) and the United States Minor Outlying Islands (UM), which have no
// area code of their own.
func postalOnly(country, code string) bool {
	if country != "US" {
		return false
	}
	switch code {
	case "AA", "AE", "AP", "UM":
		return true
	}
	return false
}

var statesAU = []State{
	{"ACT", "Australian Capital Territory"},
	{"NSW", "New South Wales"},
	{"NT", "Northern Territory"},
	{"QLD", "Queensland"},
	{"SA", "South Australia"},
	{"TAS", "Tasmania"},
	{"VIC", "Victoria"},
	{"WA", "Western Australia"},
}

var statesCA = []State{
	{"AB", "Alberta"},
	{"BC", "British Columbia"},
	{"MB", "Manitoba"},
	{"NB", "New Brunswick"},
	{"NL", "Newfoundland and Labrador"},
	{"NT", "Northwest Territories"},
	{"NS", "Nova Scotia"},
	{"NU", "Nunavut"},
	{"ON", "Ontario"},
	{"PE", "Prince Edward Island"},
	{"QC", "Quebec"},
	{"SK", "Saskatchewan"},
	{"YT", "Yukon"},
}

var statesUS = []State{
	{"AL", "Alabama"},
	{"AK", "Alaska"},
	{"AS", "American Samoa"},
	{"AZ", "Arizona"},
	{"AR", "Arkansas"},
	{"AA", "Armed Forces Americas"},
	{"AE", "Armed Forces Europe"},
	{"AP", "Armed Forces Pacific"},
	{"CA", "California"},
	{"CO", "Colorado"},
	{"CT", "Connecticut"},
	{"DE", "Delaware"},
	{"DC", "District of Columbia"},
	{"FL", "Florida"},
	{"GA", "Georgia"},
	{"GU", "Guam"},
	{"HI", "Hawaii"},
	{"ID", "Idaho"},
	{"IL", "Illinois"},
	{"IN", "Indiana"},
	{"IA", "Iowa"},
	{"KS", "Kansas"},
	{"KY", "Kentucky"},
	{"LA", "Louisiana"},
	{"ME", "Maine"},
	{"MD", "Maryland"},
	{"MA", "Massachusetts"},
	{"MI", "Michigan"},
	{"MN", "Minnesota"},
	{"MS", "Mississippi"},
	{"MO", "Missouri"},
	{"MT", "Montana"},
	{"NE", "Nebraska"},
	{"NV", "Nevada"},
	{"NH", "New Hampshire"},
	{"NJ", "New Jersey"},
	{"NM", "New Mexico"},
	{"NY", "New York"},
	{"NC", "North Carolina"},
	{"ND", "North Dakota"},
	{"MP", "Northern Mariana Islands"},
	{"OH", "Ohio"},
	{"OK", "Oklahoma"},
	{"OR", "Oregon"},
	{"PA", "Pennsylvania"},
	{"PR", "Puerto Rico"},
	{"RI", "Rhode Island"},
	{"SC", "South Carolina"},
	{"SD", "South Dakota"},
	{"TN", "Tennessee"},
	{"TX", "Texas"},
	{"VI", "U.S. Virgin Islands"},
	{"UM", "United States Minor Outlying Islands"},
	{"UT", "Utah"},
	{"VT", "Vermont"},
	{"VA", "Virginia"},
	{"WA", "Washington"},
	{"WV", "West Virginia"},
	{"WI", "Wisconsin"},
	{"WY", "Wyoming"},
}
