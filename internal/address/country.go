package address

import (
	"cmp"
	"slices"
	"strings"
)

// Country is an ISO 3166-1 alpha-2 code with its English short name.
type Country struct {
	Code string // "CH"
	Name string // "Switzerland"
}

// CountryName returns the English short name of an assigned ISO 3166-1
// alpha-2 code ("CH" -> "Switzerland"). It reports false for anything else,
// including lower-case codes and the reserved "UK", "EU" and "XK": callers
// pass codes as Normalize leaves them.
func CountryName(code string) (string, bool) {
	i, ok := slices.BinarySearchFunc(countryTable[:], code, func(c Country, code string) int {
		return strings.Compare(c.Code, code)
	})
	if !ok {
		return "", false
	}
	return countryTable[i].Name, true
}

// Countries returns every assigned ISO 3166-1 alpha-2 code with its name,
// sorted by name the way a reader expects ("Åland Islands" next to "Albania",
// not after "Zimbabwe"). The slice is new on every call and the caller may
// change it.
func Countries() []Country {
	cs := slices.Clone(countryTable[:])
	slices.SortFunc(cs, func(a, b Country) int {
		return cmp.Or(
			strings.Compare(sortKey(a.Name), sortKey(b.Name)),
			strings.Compare(a.Code, b.Code),
		)
	})
	return cs
}

// sortKey folds a name to lower-case ASCII for sorting. Only the accented
// letters that occur in country and state names are folded.
func sortKey(name string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case 'Å', 'å', 'Á', 'á', 'À', 'à', 'Â', 'â', 'Ä', 'ä':
			return 'a'
		case 'Ç', 'ç':
			return 'c'
		case 'É', 'é', 'È', 'è', 'Ê', 'ê', 'Ë', 'ë':
			return 'e'
		case 'Í', 'í', 'Î', 'î', 'Ï', 'ï':
			return 'i'
		case 'Ó', 'ó', 'Ô', 'ô', 'Ö', 'ö':
			return 'o'
		case 'Ú', 'ú', 'Û', 'û', 'Ü', 'ü':
			return 'u'
		}
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, name)
}

// inCountry returns the country's name as it reads after "in": "the United
// States" but "Switzerland". Unknown codes come back as they are.
func inCountry(code string) string {
	name, ok := CountryName(code)
	if !ok {
		return code
	}
	switch code {
	case "AE", "BS", "CD", "CF", "CG", "DO", "FK", "FO", "GB", "GM", "IO",
		"KM", "KY", "MH", "MV", "NL", "PH", "SB", "SC", "TC", "UM", "US", "VA":
		return "the " + name
	}
	return name
}
