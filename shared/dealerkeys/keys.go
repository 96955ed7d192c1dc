// Package dealerkeys is who may send dealer batches, and for whom: each dealer system has its own
// Standard Webhooks signing key, named by a key id the system sends with every batch, and the key
// says which dealer groups the system may submit purchases for and which externalSystemId prefix
// is its own. The keys of one deployment live together in one secret value (a JSON document), so
// adding or revoking a key is one new version of the secret, and rotation's grace applies to it as
// to any secret.
package dealerkeys

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/orderhub/orderhub/shared/signature"
)

// HeaderKeyID is the request header naming the key a batch is signed with.
const HeaderKeyID = "orderhub-key-id"

// Key is one dealer system's key.
type Key struct {
	// ID names the dealer system; it travels in HeaderKeyID and is recorded on its orders.
	ID string `json:"id"`
	// Secret is the Standard Webhooks secret ("whsec_" + base64).
	Secret string `json:"secret"`
	// Groups are the dealer groups the system may submit purchases for.
	Groups []string `json:"groups"`
	// IDPrefix starts every externalSystemId the system sends: its own namespace of order ids.
	IDPrefix string `json:"idPrefix"`

	verifier *signature.Verifier
}

// Set is the keys of one secret version.
type Set struct {
	Keys []*Key `json:"keys"`
}

// Errors of Parse and Allows.
var (
	ErrInvalid    = errors.New("invalid dealer keys")
	ErrNotAllowed = errors.New("not allowed for this dealer system")
)

// Parse reads and checks a secret value: {"keys":[{"id","secret","groups","idPrefix"}, …]}. Every
// key needs an id (letters, digits, '-', '_', '.'), a valid secret, at least one group and a prefix;
// ids are unique, and no key's prefix starts another's, so no two systems can send the same id.
func Parse(value string) (*Set, error) {
	var s Set
	dec := json.NewDecoder(strings.NewReader(value))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	var problems []string
	seen := map[string]bool{}
	for i, k := range s.Keys {
		where := fmt.Sprintf("key %d (%q)", i+1, k.ID)
		switch {
		case !validID(k.ID):
			problems = append(problems, where+": id must be 1 to 64 letters, digits, '-', '_' or '.'")
		case seen[k.ID]:
			problems = append(problems, where+": id used twice")
		}
		seen[k.ID] = true
		v, err := signature.NewVerifier(k.Secret)
		if err != nil {
			problems = append(problems, where+": secret: "+err.Error())
		}
		k.verifier = v
		if len(k.Groups) == 0 || slices.Contains(k.Groups, "") {
			problems = append(problems, where+": groups must name at least one dealer group")
		}
		if k.IDPrefix == "" {
			problems = append(problems, where+": idPrefix is required")
		}
		for _, o := range s.Keys[:i] {
			if k.IDPrefix != "" && o.IDPrefix != "" && (strings.HasPrefix(k.IDPrefix, o.IDPrefix) || strings.HasPrefix(o.IDPrefix, k.IDPrefix)) {
				problems = append(problems, fmt.Sprintf("%s: idPrefix %q overlaps key %q's %q; namespaces must not overlap", where, k.IDPrefix, o.ID, o.IDPrefix))
			}
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, strings.Join(problems, "; "))
	}
	return &s, nil
}

func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// Key returns the key with this id.
func (s *Set) Key(id string) (*Key, bool) {
	for _, k := range s.Keys {
		if k.ID == id {
			return k, true
		}
	}
	return nil, false
}

// Verifier checks the key's signatures.
func (k *Key) Verifier() *signature.Verifier { return k.verifier }

// Allows reports, as an error naming what is wrong, whether the key may submit a purchase for this
// dealer group under this externalSystemId.
func (k *Key) Allows(group, externalSystemID string) (field string, err error) {
	if !slices.Contains(k.Groups, group) {
		return "dealerGroup", fmt.Errorf("%w: dealer group %q is not among key %q's groups", ErrNotAllowed, group, k.ID)
	}
	if !strings.HasPrefix(externalSystemID, k.IDPrefix) {
		return "externalSystemId", fmt.Errorf("%w: key %q's externalSystemIds start with %q", ErrNotAllowed, k.ID, k.IDPrefix)
	}
	return "", nil
}

// NewSecret returns a new random Standard Webhooks secret.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b), nil
}
