package inventory

import (
	"bytes"
	"testing"
)

func FuzzE164(f *testing.F) {
	for _, s := range []string{
		"+493012345678", " +49 (0)30 1234-5678 ", "0041 44 668 18 00", "+1 (415) 555.0123",
		"+", "00", "000", "+0", "++1", "00+1", "(0)", "+(0)", "+44 (0)20 7946 0000",
		"+123456789012345", "+1234567890123456", "+1\u2013415", "\xff", "+4930\x00123",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := E164(s)
		if !ok {
			if got != "" {
				t.Fatalf("E164(%q) = %q, false, want \"\" with false", s, got)
			}
			return
		}
		if len(got) < 9 || len(got) > 16 || got[0] != '+' || got[1] == '0' {
			t.Fatalf("E164(%q) = %q, want + and 8 to 15 digits, the first not 0", s, got)
		}
		for _, c := range []byte(got[1:]) {
			if c < '0' || c > '9' {
				t.Fatalf("E164(%q) = %q, want only digits after +", s, got)
			}
		}
		if again, ok := E164(got); again != got || !ok {
			t.Fatalf("E164(%q) = %q, %v, want %q, true", got, again, ok, got)
		}
	})
}

func FuzzParseCSV(f *testing.F) {
	f.Add([]byte(header + rowsGoodIn))
	f.Add([]byte("\ufeff" + header + rowsGoodIn + rowsGoodIn))
	f.Add([]byte("Currency,type,area,x,number,monthly_amount,setup_amount,state,country\r\nEUR,local,Berlin,\"a\r\nb\",+49 30 12345678,150,200,,DE\r\n"))
	f.Add([]byte(header + "+49 30 1234 5678,DE,,Ber\"lin,local,200,150,EUR\n,,,\n\"unterminated"))
	f.Add([]byte(header + "+1 415 555 0123,us,ca,SF,toll-free,-1,99999999999999999999,usd\n"))
	f.Add([]byte(""))
	f.Add([]byte("number,country\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, rejected, err := ParseCSV(bytes.NewReader(data))
		checkParsed(t, rows, rejected, err, 2)
	})
}

func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(`[{"number": "+49 30 1234 5678", "country": "de", "area": "Berlin", "type": "local", "setup_amount": 200, "monthly_amount": 150, "currency": "eur"}]`))
	f.Add([]byte(`[{"NUMBER": "+1 415 555 0123", "country": "US", "state": "CA", "area": "SF", "type": "Toll-Free", "setup_amount": 1, "monthly_amount": 1.5, "currency": "USD"}, 1, null, [], "x"]`))
	f.Add([]byte(`[{"number": 1, "setup_amount": "1"}, {"number": "+493012345678", "Number": "x"}]`))
	f.Add([]byte("\ufeff[]"))
	f.Add([]byte(`[] x`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, rejected, err := ParseJSON(bytes.NewReader(data))
		checkParsed(t, rows, rejected, err, 1)
	})
}

// checkParsed checks what holds for any parse: a file error comes alone;
// accepted rows are valid, normalized and distinct; rejections say where
// and why, in order.
func checkParsed(t *testing.T, rows []Row, rejected []RowError, err error, firstLine int) {
	t.Helper()
	if err != nil {
		if rows != nil || rejected != nil {
			t.Fatalf("parse = %d rows, %d rejected, %v, want only the error", len(rows), len(rejected), err)
		}
		return
	}
	seen := make(map[string]bool)
	for _, r := range rows {
		if got, verr := Validate(r); verr != nil || got != r {
			t.Fatalf("accepted %+v, but Validate gives %+v, %v", r, got, verr)
		}
		if seen[r.Number] {
			t.Fatalf("accepted %s twice", r.Number)
		}
		seen[r.Number] = true
	}
	last := 0
	for _, e := range rejected {
		if e.Line < firstLine || e.Line <= last || e.Message == "" {
			t.Fatalf("rejection %+v after line %d, want a later line from %d on and a message", e, last, firstLine)
		}
		last = e.Line
	}
}

func FuzzValidate(f *testing.F) {
	f.Add("+49 (0)30 1234 5678", " de ", "", "Berlin", "Local", int64(200), int64(150), "eur")
	f.Add("+1 415 555 0123", "US", "ca", " San Francisco ", "toll-free", int64(0), int64(MaxAmount), "USD")
	f.Add("+61 2 9876 5432", "au", "Nsw", "Sydney", "TOLLFREE", int64(-1), int64(1), "aud")
	f.Add("", "", "", "", "", int64(0), int64(0), "")
	f.Fuzz(func(t *testing.T, number, country, state, area, typ string, setup, monthly int64, currency string) {
		in := Row{number, country, state, area, typ, setup, monthly, currency, 0}
		got, err := Validate(in)
		if err != nil {
			if err.Field == "" || err.Message == "" {
				t.Fatalf("Validate(%+v) error = %+v, want a field and a message", in, *err)
			}
			return
		}
		if again, err := Validate(got); again != got || err != nil {
			t.Fatalf("Validate(%+v) = %+v, %v, want it unchanged", got, again, err)
		}
	})
}
