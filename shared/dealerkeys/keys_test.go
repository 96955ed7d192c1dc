package dealerkeys_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/orderhub/orderhub/shared/dealerkeys"
)

const secretA = "whsec_b3JkZXJodWItbG9jYWwtZGVhbGVyLXNpZ25pbmcta2V5"

func TestParseChecksEveryKey(t *testing.T) {
	s, err := dealerkeys.Parse(`{"keys":[{"id":"nord","secret":"` + secretA + `","groups":["Nord"],"idPrefix":"N-"},
		{"id":"sued","secret":"` + secretA + `","groups":["Süd","Ost"],"idPrefix":"S-"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	k, ok := s.Key("sued")
	if !ok || k.Verifier() == nil {
		t.Fatal("key sued not found")
	}
	if _, ok := s.Key("west"); ok {
		t.Fatal("an unknown key was found")
	}
	for name, doc := range map[string]string{
		"not JSON":         `keys`,
		"unknown field":    `{"keys":[],"extra":1}`,
		"bad id":           `{"keys":[{"id":"a b","secret":"` + secretA + `","groups":["G"],"idPrefix":"P-"}]}`,
		"id twice":         `{"keys":[{"id":"a","secret":"` + secretA + `","groups":["G"],"idPrefix":"P-"},{"id":"a","secret":"` + secretA + `","groups":["G"],"idPrefix":"Q-"}]}`,
		"bad secret":       `{"keys":[{"id":"a","secret":"whsec_***","groups":["G"],"idPrefix":"P-"}]}`,
		"no groups":        `{"keys":[{"id":"a","secret":"` + secretA + `","groups":[],"idPrefix":"P-"}]}`,
		"no prefix":        `{"keys":[{"id":"a","secret":"` + secretA + `","groups":["G"]}]}`,
		"overlapping":      `{"keys":[{"id":"a","secret":"` + secretA + `","groups":["G"],"idPrefix":"WBZ-"},{"id":"b","secret":"` + secretA + `","groups":["H"],"idPrefix":"WBZ-N"}]}`,
		"same prefix":      `{"keys":[{"id":"a","secret":"` + secretA + `","groups":["G"],"idPrefix":"P-"},{"id":"b","secret":"` + secretA + `","groups":["H"],"idPrefix":"P-"}]}`,
		"shorter prefix 2": `{"keys":[{"id":"a","secret":"` + secretA + `","groups":["G"],"idPrefix":"WBZ-N"},{"id":"b","secret":"` + secretA + `","groups":["H"],"idPrefix":"WBZ-"}]}`,
	} {
		if _, err := dealerkeys.Parse(doc); !errors.Is(err, dealerkeys.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestAKeyAllowsItsGroupsAndNamespaceOnly(t *testing.T) {
	s, err := dealerkeys.Parse(`{"keys":[{"id":"nord","secret":"` + secretA + `","groups":["Nord"],"idPrefix":"N-"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := s.Key("nord")
	if f, err := k.Allows("Nord", "N-1"); err != nil || f != "" {
		t.Fatalf("own purchase: %s %v", f, err)
	}
	if f, err := k.Allows("Süd", "N-2"); !errors.Is(err, dealerkeys.ErrNotAllowed) || f != "dealerGroup" {
		t.Fatalf("another group: %s %v", f, err)
	}
	if f, err := k.Allows("Nord", "S-2"); !errors.Is(err, dealerkeys.ErrNotAllowed) || f != "externalSystemId" {
		t.Fatalf("another namespace: %s %v", f, err)
	}
}

func TestNewSecretsVerify(t *testing.T) {
	sec, err := dealerkeys.NewSecret()
	if err != nil || !strings.HasPrefix(sec, "whsec_") {
		t.Fatal(sec, err)
	}
	if _, err := dealerkeys.Parse(`{"keys":[{"id":"x","secret":"` + sec + `","groups":["G"],"idPrefix":"X-"}]}`); err != nil {
		t.Fatal(err)
	}
}
