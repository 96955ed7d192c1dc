package operator

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

type fakeMetricData struct {
	in  *cloudwatch.GetMetricDataInput
	out []types.MetricDataResult
}

func (f *fakeMetricData) GetMetricData(_ context.Context, in *cloudwatch.GetMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	f.in = in
	return &cloudwatch.GetMetricDataOutput{MetricDataResults: f.out}, nil
}

// TestCloudWatchCallsSumsTheHourByPartner: one search over the PartnerCalls metric by partner and
// outcome, labelled with both, summed per partner with every outcome but ok counted as failed.
func TestCloudWatchCallsSumsTheHourByPartner(t *testing.T) {
	f := &fakeMetricData{out: []types.MetricDataResult{
		{Label: aws.String("plenigo ok"), Values: []float64{10, 2}},
		{Label: aws.String("plenigo throttled"), Values: []float64{3}},
		{Label: aws.String("bonifiq ok"), Values: []float64{4}},
	}}
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	got, err := CloudWatchCalls{Client: f, Namespace: "orderhub/prod"}.LastHour(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(got); string(b) != `[{"partner":"bonifiq","calls":4,"failed":0},{"partner":"plenigo","calls":15,"failed":3}]` {
		t.Fatalf("%s", b)
	}
	q := f.in.MetricDataQueries[0]
	if !strings.Contains(*q.Expression, `{orderhub/prod,Partner,Outcome} MetricName="PartnerCalls"`) ||
		*q.Label != "${PROP('Dim.Partner')} ${PROP('Dim.Outcome')}" || !f.in.StartTime.Equal(now.Add(-time.Hour)) {
		t.Errorf("query %s / %s from %v", *q.Expression, *q.Label, f.in.StartTime)
	}
}
