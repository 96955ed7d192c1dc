package dynamostore_test

import (
	"testing"
	"time"

	"github.com/orderhub/orderhub/local/localaws"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
)

var storetestTime = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)

// TestTemplateMatchesStore keeps template.yaml and the store's attribute names together: renaming one
// without the other would only show in AWS.
func TestTemplateMatchesStore(t *testing.T) {
	tbl := localaws.Template(t).Resources["OrdersTable"]
	in, err := localaws.TableInput(tbl, "x")
	if err != nil {
		t.Fatal(err)
	}
	key := func(i int) string { return *in.KeySchema[i].AttributeName }
	if len(in.KeySchema) != 2 || key(0) != dynamostore.AttrPK || key(1) != dynamostore.AttrSK {
		t.Errorf("table key schema %v does not match the store's %s/%s", in.KeySchema, dynamostore.AttrPK, dynamostore.AttrSK)
	}
	for _, want := range []struct{ index, hash, sort, projection string }{
		{dynamostore.IndexWork, dynamostore.AttrWorkState, dynamostore.AttrWorkSince, "ALL"},
		{dynamostore.IndexReceived, dynamostore.AttrReceivedDay, dynamostore.AttrReceivedAt, "KEYS_ONLY"},
	} {
		var found bool
		for _, g := range in.GlobalSecondaryIndexes {
			if *g.IndexName == want.index {
				found = len(g.KeySchema) == 2 && *g.KeySchema[0].AttributeName == want.hash && *g.KeySchema[1].AttributeName == want.sort &&
					string(g.Projection.ProjectionType) == want.projection
			}
		}
		if !found {
			t.Errorf("template has no index %q on %s/%s projecting %s", want.index, want.hash, want.sort, want.projection)
		}
	}
	if in.StreamSpecification == nil || in.StreamSpecification.StreamViewType != "NEW_IMAGE" {
		t.Error("the orders table must stream new images, and only those")
	}
	p := tbl.Properties
	ttl, _ := p["TimeToLiveSpecification"].(map[string]any)
	if ttl["AttributeName"] != dynamostore.AttrExpiresAt || ttl["Enabled"] != true {
		t.Errorf("TTL = %v, want %s enabled", ttl, dynamostore.AttrExpiresAt)
	}
	if pitr, _ := p["PointInTimeRecoverySpecification"].(map[string]any); pitr["PointInTimeRecoveryEnabled"] != true {
		t.Error("point-in-time recovery is off")
	}
	if sse, _ := p["SSESpecification"].(map[string]any); sse["SSEEnabled"] != true {
		t.Error("encryption at rest is off")
	}
	if p["BillingMode"] != "PAY_PER_REQUEST" {
		t.Error("the table is not on-demand")
	}
}
