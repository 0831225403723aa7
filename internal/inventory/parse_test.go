package inventory

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// rejection is what a test checks of a RowError: where and which field.
type rejection struct {
	Line   int
	Number string
	Field  string
}

func rejections(errs []RowError) []rejection {
	var out []rejection
	for _, e := range errs {
		out = append(out, rejection{e.Line, e.Number, e.Field})
	}
	return out
}

// noLines returns rows without where they stood (TestParseLines checks
// that).
func noLines(rows []Row) []Row {
	out := slices.Clone(rows)
	for i := range out {
		out[i].Line = 0
	}
	return out
}

// TestParseLines: each row says where it stood — its line in a CSV file
// (the header is line 1, blank lines count), its position in a
// JSON list — so that a duplicate found in the inventory later can be
// reported by line.
func TestParseLines(t *testing.T) {
	t.Parallel()
	rows, _, err := ParseCSV(strings.NewReader(header + "\"+49 30 1234 5678\",DE,,Berlin,local,200,150,EUR\n" +
		"bad,DE,,Berlin,local,200,150,EUR\n\n+41 44 668 18 00,CH,,Zürich,local,300,200,CHF\n"))
	if err != nil || len(rows) != 2 || rows[0].Line != 2 || rows[1].Line != 5 {
		t.Errorf("CSV rows %+v, %v: want lines 2 and 5", rows, err)
	}
	rows, _, err = ParseJSON(strings.NewReader(`[{"number":"x"},{"number":"+493012345678","country":"DE","area":"Berlin","type":"local",` +
		`"setup_amount":200,"monthly_amount":150,"currency":"EUR"}]`))
	if err != nil || len(rows) != 1 || rows[0].Line != 2 {
		t.Errorf("JSON rows %+v, %v: want position 2", rows, err)
	}
}

func checkRejected(t *testing.T, errs []RowError, want []rejection) {
	t.Helper()
	if got := rejections(errs); !slices.Equal(got, want) {
		t.Errorf("rejected\n got %+v\nwant %+v", got, want)
	}
	for _, e := range errs {
		if e.Message == "" {
			t.Errorf("rejection %+v has no message", e)
		}
	}
}

const header = "number,country,state,area,type,setup_amount,monthly_amount,currency\n"

var (
	rowBerlin  = Row{Number: "+493012345678", Country: "DE", Area: "Berlin", Type: TypeLocal, SetupAmount: 200, MonthlyAmount: 150, Currency: "EUR"}
	rowZurich  = Row{Number: "+41446681800", Country: "CH", Area: "Zürich", Type: TypeLocal, SetupAmount: 300, MonthlyAmount: 200, Currency: "CHF"}
	rowSF      = Row{Number: "+14155550123", Country: "US", State: "CA", Area: "San Francisco", Type: TypeLocal, SetupAmount: 150, MonthlyAmount: 100, Currency: "USD"}
	rowTFGB    = Row{Number: "+448001234567", Country: "GB", Area: "Toll-free", Type: TypeTollFree, SetupAmount: 1500, MonthlyAmount: 800, Currency: "GBP"}
	rowsGoodIn = "+49 30 1234 5678,de,,Berlin,local,200,150,eur\n" +
		"+41 44 668 18 00,CH,,Zürich,Local,300,200,CHF\n" +
		"+1 (415) 555-0123,US,ca,San Francisco,local,150,100,USD\n"
)

func TestParseCSV(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		in           string
		want         []Row
		wantRejected []rejection
	}{
		{"OK", header + rowsGoodIn, []Row{rowBerlin, rowZurich, rowSF}, nil},
		{"HeaderOnly", header, nil, nil},
		{"Mixed", header +
			"+49 30 1234 5678,DE,,Berlin,local,200,150,EUR\n" + // 2
			"030 1234 5678,DE,,Berlin,local,200,150,EUR\n" + // 3: national number
			"+41 44 668 18 00,CH,,Zürich,local,3.00,200,CHF\n" + // 4: decimal amount
			"+1 415 555 0123,US,,San Francisco,local,150,100,USD\n" + // 5: no state
			"0049 30 12345678,DE,,Berlin,local,200,150,EUR\n" + // 6: duplicate of 2
			",,,,,,,\n" + // 7: blank, skipped
			"\n" + // 8: empty, skipped
			"+44 800 123 4567,GB,,Toll-free,toll-free,1500,800,GBP\n" + // 9
			"+41 44 668 18 00,CH,,Zürich,landline,300,200,CHF\n" + // 10: bad type
			"+41 44 668 18 00,CH,,Zürich\n" + // 11: short row
			"+41 44 668 18 00,CH,,Zürich,local,,200,CHF\n" + // 12: no setup amount
			"+41 44 668 18 00,CH,,Zürich,local,300,200,CHF\n", // 13: first good Zürich
			[]Row{rowBerlin, rowTFGB, rowZurich},
			[]rejection{
				{3, "030 1234 5678", "number"},
				{4, "+41446681800", "setup_amount"},
				{5, "+14155550123", "state"},
				{6, "+493012345678", "number"},
				{10, "+41446681800", "type"},
				{11, "+41 44 668 18 00", ""},
				{12, "+41446681800", "setup_amount"},
			}},
		{"DuplicateAfterRejected", header +
			"+41 44 668 18 00,CH,,Zürich,local,300,-1,CHF\n" +
			"+41 44 668 18 00,CH,,Zürich,local,300,200,CHF\n" +
			"+41446681800,CH,,Zürich,local,300,200,CHF\n",
			[]Row{rowZurich},
			[]rejection{{2, "+41446681800", "monthly_amount"}, {4, "+41446681800", "number"}}},
		{"ReorderedAndExtraColumns",
			"Currency, TYPE ,area,notes,Number,monthly_amount,setup_amount,STATE,country\n" +
				"EUR,local,Berlin,first,+49 30 12345678,150,200,,DE\n" +
				"USD,local,San Francisco,,+1 415 555 0123,100,150,CA,US\n",
			[]Row{rowBerlin, rowSF}, nil},
		{"NoStateColumn",
			"number,country,area,type,setup_amount,monthly_amount,currency\n" +
				"+493012345678,DE,Berlin,local,200,150,EUR\n" +
				"+14155550123,US,San Francisco,local,150,100,USD\n",
			[]Row{rowBerlin}, []rejection{{3, "+14155550123", "state"}}},
		{"BOM", "\ufeff" + header + rowsGoodIn, []Row{rowBerlin, rowZurich, rowSF}, nil},
		{"CRLF", strings.ReplaceAll(header+rowsGoodIn+"bad,DE,,Berlin,local,200,150,EUR\n", "\n", "\r\n"),
			[]Row{rowBerlin, rowZurich, rowSF}, []rejection{{5, "bad", "number"}}},
		{"BOMAndCRLF", "\ufeff" + strings.ReplaceAll(header+rowsGoodIn, "\n", "\r\n"), []Row{rowBerlin, rowZurich, rowSF}, nil},
		{"NoFinalNewline", strings.TrimSuffix(header+rowsGoodIn, "\n"), []Row{rowBerlin, rowZurich, rowSF}, nil},
		{"QuotedFields", "number,country,state,area,type,setup_amount,monthly_amount,currency,notes\n" +
			"\"+49 30 1234 5678\",DE,,\"Berlin\",local,200,150,EUR,\"two\nlines\"\n" + // 2-3
			"+41 44 668 18 00,CH,,Zürich,local,300,-5,CHF,\n", // 4
			[]Row{rowBerlin}, []rejection{{4, "+41446681800", "monthly_amount"}}},
		{"BareQuoteGoesOn", header +
			"+49 30 1234 5678,DE,,Ber\"lin,local,200,150,EUR\n" + // 2: bare quote
			"+41 44 668 18 00,CH,,Zürich,local,300,200,CHF\n",
			[]Row{rowZurich}, []rejection{{2, "", ""}}},
		{"AmountTooLarge", header + "+49 30 1234 5678,DE,,Berlin,local,99999999999999999999,150,EUR\n",
			nil, []rejection{{2, "+493012345678", "setup_amount"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, rejected, err := ParseCSV(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("ParseCSV() error = %v, want nil", err)
			}
			if !slices.Equal(noLines(got), tt.want) {
				t.Errorf("ParseCSV() rows\n got %+v\nwant %+v", got, tt.want)
			}
			checkRejected(t, rejected, tt.wantRejected)
		})
	}
}

func TestParseCSVDuplicateMessage(t *testing.T) {
	t.Parallel()
	_, rejected, err := ParseCSV(strings.NewReader(header + rowsGoodIn + rowsGoodIn))
	if err != nil {
		t.Fatalf("ParseCSV() error = %v, want nil", err)
	}
	if got, want := len(rejected), 3; got != want {
		t.Fatalf("ParseCSV() rejected %d rows, want %d", got, want)
	}
	for _, e := range rejected {
		if !strings.Contains(e.Message, "duplicate in file") {
			t.Errorf("rejection %+v, want a duplicate in file", e)
		}
	}
}

func TestParseCSVFileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
	}{
		{"Empty", ""},
		{"OnlyBOM", "\ufeff"},
		{"MissingColumn", "number,country,state,area,type,setup_amount,monthly_amount\n+493012345678,DE,,Berlin,local,200,150\n"},
		{"NoHeader", "+493012345678,DE,,Berlin,local,200,150,EUR\n"},
		{"DuplicateColumn", "number,country,state,area,type,setup_amount,monthly_amount,currency,Number\n"},
		{"BrokenHeader", "number,\"country\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows, rejected, err := ParseCSV(strings.NewReader(tt.in))
			if err == nil || rows != nil || rejected != nil {
				t.Errorf("ParseCSV(%q) = %v, %v, %v, want only an error", tt.in, rows, rejected, err)
			}
		})
	}
}

func TestParseReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	body := header + rowsGoodIn
	tests := []struct {
		name  string
		parse func(io.Reader) ([]Row, []RowError, error)
		r     io.Reader
		want  error
	}{
		{"CSVFirstRead", ParseCSV, iotest.ErrReader(boom), boom},
		{"JSONFirstRead", ParseJSON, iotest.ErrReader(boom), boom},
		{"CSVLaterRead", ParseCSV, iotest.TimeoutReader(iotest.OneByteReader(strings.NewReader(body))), iotest.ErrTimeout},
		{"JSONLaterRead", ParseJSON, iotest.TimeoutReader(iotest.OneByteReader(strings.NewReader("[]"))), iotest.ErrTimeout},
		{"CSVMidFile", ParseCSV, io.MultiReader(strings.NewReader(body), iotest.ErrReader(boom)), boom},
		{"JSONMidFile", ParseJSON, io.MultiReader(strings.NewReader("[{}, "), iotest.ErrReader(boom)), boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows, rejected, err := tt.parse(tt.r)
			if !errors.Is(err, tt.want) || rows != nil || rejected != nil {
				t.Errorf("parse() = %v, %v, %v, want only the error %v", rows, rejected, err, tt.want)
			}
		})
	}
}

func TestParseJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		in           string
		want         []Row
		wantRejected []rejection
	}{
		{"OK", `[
			{"number": "+49 30 1234 5678", "country": "de", "area": "Berlin", "type": "local", "setup_amount": 200, "monthly_amount": 150, "currency": "eur"},
			{"number": "+41 44 668 18 00", "country": "CH", "state": null, "area": "Zürich", "type": "local", "setup_amount": 300, "monthly_amount": 200, "currency": "CHF"},
			{"number": "+14155550123", "country": "US", "state": "ca", "area": "San Francisco", "type": "local", "setup_amount": 150, "monthly_amount": 100, "currency": "USD"}
		]`, []Row{rowBerlin, rowZurich, rowSF}, nil},
		{"EmptyArray", `[]`, nil, nil},
		{"Mixed", `[
			{"number": "+49 30 1234 5678", "country": "DE", "state": "", "area": "Berlin", "type": "local", "setup_amount": 200, "monthly_amount": 150, "currency": "EUR"},
			{"number": "030 1234 5678", "country": "DE", "area": "Berlin", "type": "local", "setup_amount": 200, "monthly_amount": 150, "currency": "EUR"},
			{"number": "+41 44 668 18 00", "country": "CH", "area": "Zürich", "type": "local", "setup_amount": "300", "monthly_amount": 200, "currency": "CHF"},
			{"number": "+41 44 668 18 00", "country": "CH", "area": "Zürich", "type": "local", "setup_amount": 300, "monthly_amount": 2.5, "currency": "CHF"},
			{"number": "+41 44 668 18 00", "country": "CH", "area": "Zürich", "type": "local", "monthly_amount": 200, "currency": "CHF"},
			{"number": "+1 415 555 0123", "country": "US", "area": "San Francisco", "type": "local", "setup_amount": 150, "monthly_amount": 100, "currency": "USD"},
			{"number": "0049 30 12345678", "country": "DE", "area": "Berlin", "type": "local", "setup_amount": 200, "monthly_amount": 150, "currency": "EUR"},
			3,
			null,
			"+493012345678",
			[],
			{"NUMBER": "+44 800 123 4567", "Country": "GB", "area": "Toll-free", "type": "Toll-Free", "setup_amount": 1500, "monthly_amount": 800, "currency": "GBP", "note": {"x": [1]}},
			{"number": 41446681800, "country": "CH", "area": "Zürich", "type": "local", "setup_amount": 300, "monthly_amount": 200, "currency": "CHF"},
			{"number": "+41 44 668 18 00", "country": "CH", "area": "Zürich", "type": ["local"], "setup_amount": 300, "monthly_amount": 200, "currency": "CHF"},
			{"number": "+41 44 668 18 00", "country": "CH", "area": "Zürich", "type": "local", "setup_amount": 300, "monthly_amount": 200, "currency": "CHF"}
		]`,
			[]Row{rowBerlin, rowTFGB, rowZurich},
			[]rejection{
				{2, "030 1234 5678", "number"},
				{3, "+41446681800", "setup_amount"},
				{4, "+41446681800", "monthly_amount"},
				{5, "+41446681800", "setup_amount"},
				{6, "+14155550123", "state"},
				{7, "+493012345678", "number"},
				{8, "", ""},
				{9, "", ""},
				{10, "", ""},
				{11, "", ""},
				{13, "", "number"},
				{14, "+41446681800", "type"},
			}},
		{"BOM", "\ufeff" + `[{"number": "+493012345678", "country": "DE", "area": "Berlin", "type": "local", "setup_amount": 200, "monthly_amount": 150, "currency": "EUR"}]`,
			[]Row{rowBerlin}, nil},
		{"CRLF", "[\r\n" + `{"number": "+493012345678", "country": "DE", "area": "Berlin", "type": "local", "setup_amount": 200, "monthly_amount": 150, "currency": "EUR"}` + "\r\n]\r\n",
			[]Row{rowBerlin}, nil},
		{"ExactKeyWins", `[{"number": "+493012345678", "Number": "x", "country": "DE", "area": "Berlin", "type": "local", "setup_amount": 200, "monthly_amount": 150, "currency": "EUR"}]`,
			[]Row{rowBerlin}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, rejected, err := ParseJSON(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("ParseJSON() error = %v, want nil", err)
			}
			if !slices.Equal(noLines(got), tt.want) {
				t.Errorf("ParseJSON() rows\n got %+v\nwant %+v", got, tt.want)
			}
			checkRejected(t, rejected, tt.wantRejected)
		})
	}
}

func TestParseJSONFileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
	}{
		{"Empty", ""},
		{"Blank", " \n "},
		{"Object", `{"number": "+493012345678"}`},
		{"String", `"+493012345678"`},
		{"Unterminated", `[{"number": "+493012345678"}`},
		{"SyntaxError", `[{"number": "+493012345678",}]`},
		{"TrailingComma", `[{"number": "+493012345678"},]`},
		{"TrailingData", `[] []`},
		{"CSV", header + rowsGoodIn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows, rejected, err := ParseJSON(strings.NewReader(tt.in))
			if err == nil || rows != nil || rejected != nil {
				t.Errorf("ParseJSON(%q) = %v, %v, %v, want only an error", tt.in, rows, rejected, err)
			}
		})
	}
}
