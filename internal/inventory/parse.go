package inventory

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Column indexes, in the order of the documented header.
const (
	colNumber = iota
	colCountry
	colState
	colArea
	colType
	colSetup
	colMonthly
	colCurrency
	numColumns
)

// columns are the column names of a CSV import and the field names of a
// JSON one.
var columns = [numColumns]string{"number", "country", "state", "area", "type", "setup_amount", "monthly_amount", "currency"}

// Header is the header line of a CSV import.
var Header = strings.Join(columns[:], ",")

// ParseCSV reads an inventory in CSV with the header
// number,country,state,area,type,setup_amount,monthly_amount,currency:
// columns in any order, header names case-insensitive, extra columns
// ignored. The state column may be left out when no row needs a state.
// Amounts are integers in minor units. A UTF-8 byte order mark and CRLF line
// endings are accepted, and rows whose fields are all blank are skipped.
//
// It returns the valid rows, normalized by Validate, in file order, and one
// RowError per rejected row, Line being the row's line (the header is line
// 1). A bad row never aborts the import; a number seen earlier in the file
// rejects the later row ("duplicate in file"). The error is non-nil only
// when the file as a whole is unusable: it is empty, or its header lacks a
// column or names one twice.
func ParseCSV(r io.Reader) ([]Row, []RowError, error) {
	cr := csv.NewReader(skipBOM(r))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, errors.New("the file is empty: want the header line " + strings.Join(columns[:], ","))
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return nil, nil, fmt.Errorf("the header line cannot be read (%s); want %s", csvProblem(err), strings.Join(columns[:], ","))
	}
	if err != nil {
		return nil, nil, fmt.Errorf("the file cannot be read: %w", err)
	}
	index, err := headerIndex(header)
	if err != nil {
		return nil, nil, err
	}
	need := slices.Max(index[:]) + 1
	var p importer
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			// The reader has consumed the broken record; go on after it.
			p.reject(RowError{Line: pe.StartLine, Message: csvProblem(pe)})
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("csv: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if allBlank(rec) {
			continue
		}
		if len(rec) < need {
			num := ""
			if index[colNumber] < len(rec) {
				num = rec[index[colNumber]]
			}
			p.reject(RowError{Line: line, Number: clip(strings.TrimSpace(num), 40),
				Message: fmt.Sprintf("has %d fields, the header %d", len(rec), len(header))})
			continue
		}
		row, bad := csvRow(rec, index)
		p.add(line, row, bad)
	}
	return p.rows, p.errs, nil
}

// headerIndex maps each column to its position in the header, -1 for an
// absent optional column. Error: a required column is missing or a column
// appears twice.
func headerIndex(header []string) ([numColumns]int, error) {
	var index [numColumns]int
	for i := range index {
		index[i] = -1
	}
	for pos, name := range header {
		name = strings.ToLower(strings.TrimSpace(name))
		i := slices.Index(columns[:], name)
		if i < 0 {
			continue // an extra column
		}
		if index[i] >= 0 {
			return index, fmt.Errorf("the header line names column %q twice", name)
		}
		index[i] = pos
	}
	var missing []string
	for i, pos := range index {
		if pos < 0 && i != colState {
			missing = append(missing, columns[i])
		}
	}
	if len(missing) > 0 {
		return index, fmt.Errorf("the header line lacks column %s (want %s)",
			strings.Join(missing, ", "), strings.Join(columns[:], ","))
	}
	return index, nil
}

// csvRow turns a record into a row; bad is the first amount that is not an
// integer.
func csvRow(rec []string, index [numColumns]int) (Row, *RowError) {
	field := func(i int) string {
		if index[i] < 0 {
			return ""
		}
		return rec[index[i]]
	}
	r := Row{
		Number:   field(colNumber),
		Country:  field(colCountry),
		State:    field(colState),
		Area:     field(colArea),
		Type:     field(colType),
		Currency: field(colCurrency),
	}
	var bad *RowError
	for _, a := range []struct {
		col int
		dst *int64
	}{{colSetup, &r.SetupAmount}, {colMonthly, &r.MonthlyAmount}} {
		v, msg := parseAmount(field(a.col))
		if msg != "" && bad == nil {
			bad = &RowError{Field: columns[a.col], Message: msg}
		}
		*a.dst = v
	}
	return r, bad
}

// parseAmount reads an amount in minor units from CSV.
func parseAmount(s string) (int64, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, "required"
	}
	v, err := strconv.ParseInt(s, 10, 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, fmt.Sprintf("must be at most %d (minor units)", MaxAmount)
	case err != nil:
		return 0, "must be an integer in minor units (150 for 1.50)"
	}
	return v, ""
}

// csvProblem says in words why a CSV record cannot be read.
func csvProblem(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	switch {
	case errors.Is(err, csv.ErrQuote), errors.Is(err, csv.ErrBareQuote):
		return `a quote (") is out of place: a field in quotes must be quoted whole, and a quote inside it doubled`
	case errors.Is(err, csv.ErrFieldCount):
		return "the number of fields differs from the header's"
	}
	return "it is not CSV text"
}

func allBlank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// ParseJSON reads an inventory in JSON: an array of objects with the field
// names of the CSV header (matched case-insensitively; unknown fields are
// ignored, and state may be absent or null). Amounts are JSON integers in
// minor units. A UTF-8 byte order mark is accepted.
//
// It returns the valid rows, normalized by Validate, in array order, and one
// RowError per rejected element, Line being its 1-based index. A bad element
// (not an object, a field of the wrong type, an invalid row, a number seen
// earlier in the array) never aborts the import. The error is non-nil only
// when the body as a whole is unusable: empty, not an array, or not
// well-formed JSON.
func ParseJSON(r io.Reader) ([]Row, []RowError, error) {
	dec := json.NewDecoder(skipBOM(r))
	tok, err := dec.Token()
	if errors.Is(err, io.EOF) {
		return nil, nil, errors.New("the body is empty: send a JSON list of numbers")
	}
	if err != nil {
		return nil, nil, jsonProblem("the body", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, nil, errors.New("the body must be a JSON list of numbers, [{...}, ...]")
	}
	var p importer
	for i := 1; dec.More(); i++ {
		var el json.RawMessage
		if err := dec.Decode(&el); err != nil {
			return nil, nil, jsonProblem(fmt.Sprintf("item %d of the list", i), err)
		}
		r, bad := jsonRow(el)
		if r == nil {
			bad.Line = i
			p.reject(*bad)
			continue
		}
		p.add(i, *r, bad)
	}
	if _, err := dec.Token(); err != nil { // the closing bracket
		return nil, nil, jsonProblem("the list", err)
	}
	switch _, err := dec.Token(); {
	case errors.Is(err, io.EOF):
		return p.rows, p.errs, nil
	case err != nil:
		return nil, nil, jsonProblem("what follows the list", err)
	}
	return nil, nil, errors.New("the body must hold one JSON list and nothing after it")
}

// jsonProblem says in words what is wrong with the JSON of what, where
// the decoder can tell: the body ends too early, or is not JSON from some
// byte on.
func jsonProblem(what string, err error) error {
	var se *json.SyntaxError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("%s ends before its JSON is complete", what)
	case errors.As(err, &se):
		return fmt.Errorf("%s is not valid JSON (at byte %d)", what, se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("%s is not valid JSON", what)
	}
	return fmt.Errorf("%s cannot be read: %w", what, err) // the reader's own error
}

// jsonRow turns an element into a row, or returns nil and why the element
// is no row at all. bad is the first field, in column order, of the wrong
// type.
func jsonRow(el json.RawMessage) (*Row, *RowError) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(el, &obj); err != nil || obj == nil {
		return nil, &RowError{Message: "must be an object"}
	}
	var r Row
	var bad *RowError
	for col, name := range columns {
		raw := lookup(obj, name)
		var msg string
		switch col {
		case colSetup:
			r.SetupAmount, msg = jsonAmount(raw)
		case colMonthly:
			r.MonthlyAmount, msg = jsonAmount(raw)
		default:
			msg = jsonString(raw, r.field(col))
		}
		if msg != "" && bad == nil {
			bad = &RowError{Field: name, Message: msg}
		}
	}
	return &r, bad
}

// field returns the text field of the row for a column other than the
// amounts.
func (r *Row) field(col int) *string {
	switch col {
	case colNumber:
		return &r.Number
	case colCountry:
		return &r.Country
	case colState:
		return &r.State
	case colArea:
		return &r.Area
	case colType:
		return &r.Type
	default:
		return &r.Currency
	}
}

// lookup returns the value of a field, its name matched exactly or else
// case-insensitively (the first such key in sorted order, so that the
// result does not depend on map order); nil when absent.
func lookup(obj map[string]json.RawMessage, name string) json.RawMessage {
	if raw, ok := obj[name]; ok {
		return raw
	}
	var key string
	found := false
	for k := range obj {
		if strings.EqualFold(k, name) && (!found || k < key) {
			key, found = k, true
		}
	}
	return obj[key]
}

// jsonString reads an optional JSON string into dst; absent and null leave
// it empty, for Validate to judge.
func jsonString(raw json.RawMessage, dst *string) string {
	if raw == nil || string(raw) == "null" {
		return ""
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return "must be a string"
	}
	return ""
}

// jsonAmount reads a required amount in minor units: a JSON integer.
func jsonAmount(raw json.RawMessage) (int64, string) {
	raw = bytes.TrimSpace(raw)
	switch {
	case raw == nil || string(raw) == "null":
		return 0, "required"
	case raw[0] != '-' && (raw[0] < '0' || raw[0] > '9'):
		return 0, "must be a JSON integer in minor units (150 for 1.50)"
	}
	return parseAmount(string(raw))
}

// importer collects the rows of one import.
type importer struct {
	rows []Row
	errs []RowError
	seen map[string]int // number -> line of its first row
}

// add validates a row read at line; bad, when not nil, is a field that
// could not be read, reported before what Validate finds (a number given
// as 5 is "must be a string", not "required").
func (p *importer) add(line int, r Row, bad *RowError) {
	v, verr := Validate(r)
	switch {
	case bad != nil:
		bad.Line, bad.Number = line, v.Number
		p.reject(*bad)
		return
	case verr != nil:
		verr.Line = line
		p.reject(*verr)
		return
	}
	if first, ok := p.seen[v.Number]; ok {
		p.reject(RowError{Line: line, Number: v.Number, Field: "number",
			Message: fmt.Sprintf("duplicate in file (first on line %d)", first)})
		return
	}
	if p.seen == nil {
		p.seen = make(map[string]int)
	}
	p.seen[v.Number] = line
	v.Line = line
	p.rows = append(p.rows, v)
}

func (p *importer) reject(e RowError) {
	p.errs = append(p.errs, e)
}

// skipBOM drops a UTF-8 byte order mark at the start of r, as spreadsheet
// programs write one. A read error while looking is kept for the caller.
func skipBOM(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	b, err := br.Peek(3)
	switch {
	case err == nil && string(b) == "\uFEFF":
		_, _ = br.Discard(3)
	case err != nil && !errors.Is(err, io.EOF):
		// bufio hands the error out once, and Peek just took it.
		return io.MultiReader(bytes.NewReader(b), errReader{err})
	}
	return br
}

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
