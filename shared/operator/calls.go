package operator

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/orderhub/orderhub/shared/metrics"
)

// PartnerCalls is one partner's HTTP attempts in the last hour and how many failed (any outcome
// but ok: refused, throttled, server, timeout, transport).
type PartnerCalls struct {
	Partner string `json:"partner"`
	Calls   int    `json:"calls"`
	Failed  int    `json:"failed"`
}

// FailedShare is the failed attempts' share of all, 0 without calls.
func (p PartnerCalls) FailedShare() float64 {
	if p.Calls == 0 {
		return 0
	}
	return float64(p.Failed) / float64(p.Calls)
}

// CallRates reads the partner calls of the last hour.
type CallRates interface {
	LastHour(ctx context.Context, now time.Time) ([]PartnerCalls, error)
}

// CallsFile is what the local stack writes about the partner calls its functions logged in the
// last hour (local/stack), read by status for a local target.
type CallsFile struct {
	Path string
}

// CallsDocument is the file's content.
type CallsDocument struct {
	At    time.Time      `json:"at"`
	Calls []PartnerCalls `json:"calls"`
}

// LastHour implements CallRates.
func (f CallsFile) LastHour(_ context.Context, now time.Time) ([]PartnerCalls, error) {
	b, err := os.ReadFile(f.Path)
	if err != nil {
		return nil, fmt.Errorf("the local stack has not counted any partner call yet (%s)", f.Path)
	}
	var d CallsDocument
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", f.Path, err)
	}
	if now.Sub(d.At) > 2*time.Minute {
		return nil, fmt.Errorf("the local stack's count is from %s ago: is it still running?", now.Sub(d.At).Round(time.Second))
	}
	if d.Calls == nil {
		d.Calls = []PartnerCalls{}
	}
	return d.Calls, nil
}

// OpenCallRates returns where t's partner calls of the last hour are read: the local stack's count,
// or CloudWatch in the namespace the template gives the environment; nil when t says neither.
func OpenCallRates(ctx context.Context, t Target) (CallRates, error) {
	if t.Kind == Local {
		if t.CallsFile == "" {
			return nil, nil
		}
		return CallsFile{Path: t.CallsFile}, nil
	}
	env, ok := environment(t.Table)
	if !ok {
		return nil, nil
	}
	cfg, err := t.awsConfig(ctx)
	if err != nil {
		return nil, err
	}
	return CloudWatchCalls{Client: cloudwatch.NewFromConfig(cfg), Namespace: "orderhub/" + env}, nil
}

// MetricData is the CloudWatch call CloudWatchCalls makes.
type MetricData interface {
	GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// CloudWatchCalls reads the PartnerCalls metric the functions write (shared/metrics), summed over
// the last hour by partner and outcome, with one GetMetricData call.
type CloudWatchCalls struct {
	Client    MetricData
	Namespace string // orderhub/<environment>
}

// LastHour implements CallRates.
func (c CloudWatchCalls) LastHour(ctx context.Context, now time.Time) ([]PartnerCalls, error) {
	search := fmt.Sprintf(`SEARCH('{%s,%s,%s} MetricName="%s"', 'Sum', 3600)`, c.Namespace, metrics.DimPartner, metrics.DimOutcome, metrics.PartnerCalls)
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now),
		MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("calls"), Expression: aws.String(search),
			Label: aws.String("${PROP('Dim." + metrics.DimPartner + "')} ${PROP('Dim." + metrics.DimOutcome + "')}")}},
	}
	by := map[string]*PartnerCalls{}
	for p := cloudwatch.NewGetMetricDataPaginator(c.Client, in); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("partner calls from CloudWatch: %w", err)
		}
		for _, r := range out.MetricDataResults {
			partner, outcome, ok := strings.Cut(aws.ToString(r.Label), " ")
			if !ok {
				continue
			}
			n := 0
			for _, v := range r.Values {
				n += int(v)
			}
			pc := by[partner]
			if pc == nil {
				pc = &PartnerCalls{Partner: partner}
				by[partner] = pc
			}
			pc.Calls += n
			if outcome != metrics.OutcomeOK {
				pc.Failed += n
			}
		}
	}
	out := []PartnerCalls{}
	for _, pc := range by {
		out = append(out, *pc)
	}
	slices.SortFunc(out, func(a, b PartnerCalls) int { return strings.Compare(a.Partner, b.Partner) })
	return out, nil
}
