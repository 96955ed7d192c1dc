package lambdafn_test

import (
	"errors"
	"testing"

	"github.com/orderhub/orderhub/shared/lambdafn"
)

// TestOnlyTheNamedActionsAreTriggers: a sweep is always a trigger; the digest only for the function
// that names it, so a digest sent to another function fails instead of being taken for a sweep.
func TestOnlyTheNamedActionsAreTriggers(t *testing.T) {
	if tr, err := lambdafn.DecodeTrigger([]byte(`{"action":"sweep"}`)); err != nil || tr.Action != lambdafn.ActionSweep {
		t.Errorf("sweep: %+v %v", tr, err)
	}
	if _, err := lambdafn.DecodeTrigger([]byte(`{"action":"digest"}`)); !errors.Is(err, lambdafn.ErrUnknownEvent) {
		t.Errorf("a digest to a function without one: %v", err)
	}
	if tr, err := lambdafn.DecodeTrigger([]byte(`{"action":"digest"}`), lambdafn.ActionDigest); err != nil || tr.Action != lambdafn.ActionDigest {
		t.Errorf("digest: %+v %v", tr, err)
	}
	for _, raw := range []string{`{}`, `{"action":""}`, `{"action":"sweeep"}`} {
		if _, err := lambdafn.DecodeTrigger([]byte(raw), lambdafn.ActionDigest, ""); !errors.Is(err, lambdafn.ErrUnknownEvent) {
			t.Errorf("%s: %v", raw, err)
		}
	}
}
