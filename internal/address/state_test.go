package address

import "testing"

func TestPhoneState(t *testing.T) {
	t.Parallel()
	tests := []struct {
		country, code string
		want          string
		wantOK        bool
	}{
		{"US", "NY", "New York", true},
		{"US", "PR", "Puerto Rico", true},
		{"CA", "QC", "Quebec", true},
		{"AU", "NSW", "New South Wales", true},
		{"US", "AE", "", false}, // military mail: an address, never a number
		{"US", "UM", "", false},
		{"CA", "NY", "", false},
		{"DE", "BE", "", false},
		{"us", "NY", "", false},
	}
	for _, tt := range tests {
		got, ok := PhoneState(tt.country, tt.code)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("PhoneState(%q, %q) = %q, %v, want %q, %v", tt.country, tt.code, got, ok, tt.want, tt.wantOK)
		}
		if tt.code == "AE" && !isState(tt.country, tt.code) {
			t.Errorf("isState(US, AE) = false: an address may have it")
		}
	}
}
