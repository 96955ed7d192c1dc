package samtemplate_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/orderhub/orderhub/local/eventsource"
	"github.com/orderhub/orderhub/local/samtemplate"
	"github.com/orderhub/orderhub/shared/metrics"
)

// These tests hold template.yaml to the properties the code relies on, so an edit cannot silently
// drop one: they fail on the template, long before a deploy would.

func load(t *testing.T) *samtemplate.Template {
	t.Helper()
	tmpl, err := samtemplate.Load(filepath.Join("..", "..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

func m(v any) map[string]any { mm, _ := v.(map[string]any); return mm }

func num(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case float64:
		return int(n)
	}
	return -1
}

func event(t *testing.T, tmpl *samtemplate.Template, fn, name, typ string) map[string]any {
	t.Helper()
	ev := m(m(tmpl.Resources[fn].Properties["Events"])[name])
	if ev["Type"] != typ {
		t.Fatalf("%s has no %s event %s", fn, typ, name)
	}
	return m(ev["Properties"])
}

func TestEveryFunctionIsArm64MakefileBuiltAndLogged(t *testing.T) {
	tmpl := load(t)
	makefile, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	fns := tmpl.ResourcesOfType("AWS::Serverless::Function")
	if len(fns) < 4 {
		t.Fatalf("functions: %v", fns)
	}
	for _, fn := range fns {
		if tmpl.Resources[fn].Metadata["BuildMethod"] != "makefile" {
			t.Errorf("%s is not built by the Makefile", fn)
		}
		if !strings.Contains(string(makefile), "build-"+fn) {
			t.Errorf("the Makefile has no build-%s target", fn)
		}
		if rt := tmpl.FunctionProperty(fn, "Runtime"); rt != "provided.al2023" {
			t.Errorf("%s runtime %v", fn, rt)
		}
		if arch, _ := tmpl.FunctionProperty(fn, "Architectures").([]any); len(arch) != 1 || arch[0] != "arm64" {
			t.Errorf("%s architectures %v", fn, arch)
		}
		if lc := m(tmpl.FunctionProperty(fn, "LoggingConfig")); lc["LogFormat"] != "JSON" {
			t.Errorf("%s does not log JSON", fn)
		}
		if _, ok := tmpl.Resources[strings.TrimSuffix(fn, "Function")+"Logs"]; !ok {
			t.Errorf("%s has no log group with a retention", fn)
		}
		if _, ok := tmpl.Resources[strings.TrimSuffix(fn, "Function")+"ErrorsAlarm"]; !ok && fn != "ReceiverFunction" {
			t.Errorf("%s has no errors alarm", fn)
		}
	}
}

func TestNoSecretValueInTheTemplate(t *testing.T) {
	tmpl := load(t)
	for _, fn := range tmpl.ResourcesOfType("AWS::Serverless::Function") {
		vars := m(m(tmpl.Resources[fn].Properties["Environment"])["Variables"])
		for name, v := range vars {
			upper := strings.ToUpper(name)
			if (strings.Contains(upper, "TOKEN") || strings.Contains(upper, "SECRET") || strings.Contains(upper, "PASSWORD")) && !strings.HasSuffix(upper, "_ARN") {
				t.Errorf("%s passes %s in plain environment; pass the secret's ARN instead", fn, name)
			}
			if s, ok := v.(string); ok && strings.Contains(s, "{{resolve:") {
				t.Errorf("%s resolves %s into its environment", fn, name)
			}
		}
	}
	for name := range tmpl.Parameters {
		if strings.Contains(strings.ToLower(name), "token") && !strings.HasSuffix(name, "Arn") {
			t.Errorf("parameter %s looks like a secret value", name)
		}
	}
}

func TestPoliciesNameTheirResources(t *testing.T) {
	tmpl := load(t)
	for _, fn := range tmpl.ResourcesOfType("AWS::Serverless::Function") {
		pols, _ := tmpl.Resources[fn].Properties["Policies"].([]any)
		if len(pols) == 0 {
			t.Errorf("%s has no inline policy", fn)
		}
		for _, p := range pols {
			stmts, _ := m(p)["Statement"].([]any)
			for _, s := range stmts {
				if branches, ok := m(s)["Fn::If"].([]any); ok && len(branches) == 3 {
					s = branches[1] // a statement that exists on a condition: check what it grants
				}
				b, _ := json.Marshal(m(s)["Resource"])
				if strings.Contains(string(b), `"*"`) || string(b) == "null" {
					t.Errorf("%s statement %v grants on every resource", fn, m(s)["Sid"])
				}
			}
		}
	}
}

func TestImportQueueIsSafe(t *testing.T) {
	tmpl := load(t)
	q := tmpl.Resources["ImportQueue"].Properties
	dlq := tmpl.Resources["ImportDLQ"].Properties
	worker := num(tmpl.FunctionProperty("WorkerFunction", "Timeout"))
	ev := tmpl.EventProperties("WorkerFunction", "ImportJobs")
	window := num(ev["MaximumBatchingWindowInSeconds"])
	if vis := num(q["VisibilityTimeout"]); worker <= 0 || vis < 6*worker+window {
		t.Errorf("visibility timeout %d is under 6 × the worker's timeout %d plus its batching window %d", vis, worker, window)
	}
	rp := m(q["RedrivePolicy"])
	if num(rp["maxReceiveCount"]) < 5 {
		t.Errorf("maxReceiveCount %v is under 5", rp["maxReceiveCount"])
	}
	if dl := m(rp["deadLetterTargetArn"]); dl == nil || m(dl)["Fn::GetAtt"] == nil {
		t.Error("the import queue has no dead-letter queue")
	}
	if r := num(dlq["MessageRetentionPeriod"]); r != 1209600 || r <= num(q["MessageRetentionPeriod"]) {
		t.Errorf("DLQ retention %d: want 14 days, longer than the queue's", r)
	}
	for _, name := range []string{"ImportDLQ", "StreamFailureDLQ", "ScheduleDLQ"} {
		found := false
		for _, a := range tmpl.ResourcesOfType("AWS::CloudWatch::Alarm") {
			b, _ := json.Marshal(tmpl.Resources[a].Properties["Dimensions"])
			found = found || strings.Contains(string(b), `"`+name+`"`)
		}
		if !found {
			t.Errorf("no alarm watches %s", name)
		}
	}
}

func TestWorkerReportsPartialFailuresAndIsThrottled(t *testing.T) {
	tmpl := load(t)
	ev := event(t, tmpl, "WorkerFunction", "ImportJobs", "SQS")
	if types, _ := ev["FunctionResponseTypes"].([]any); len(types) != 1 || types[0] != "ReportBatchItemFailures" {
		t.Errorf("worker SQS event does not report batch item failures: %v", ev["FunctionResponseTypes"])
	}
	if m(ev["ScalingConfig"])["MaximumConcurrency"] == nil {
		t.Error("worker has no maximum concurrency towards plenigo")
	}
}

func TestEnqueuerStreamIsFilteredAndReportsBySequence(t *testing.T) {
	tmpl := load(t)
	ev := event(t, tmpl, "EnqueuerFunction", "OrdersStream", "DynamoDB")
	if types, _ := ev["FunctionResponseTypes"].([]any); len(types) != 1 || types[0] != "ReportBatchItemFailures" {
		t.Error("the stream event does not report batch item failures")
	}
	filters, _ := m(ev["FilterCriteria"])["Filters"].([]any)
	if len(filters) != 1 {
		t.Fatalf("filters %v", filters)
	}
	var pattern map[string]any
	if err := json.Unmarshal([]byte(m(filters[0])["Pattern"].(string)), &pattern); err != nil {
		t.Fatalf("filter pattern is not JSON: %v", err)
	}
	img := m(m(pattern["dynamodb"])["NewImage"])
	if b, _ := json.Marshal(img); !strings.Contains(string(b), `"RECEIVED"`) || !strings.Contains(string(b), `"ORDER"`) {
		t.Errorf("filter does not select RECEIVED order items: %s", b)
	}
	if m(m(ev["DestinationConfig"])["OnFailure"])["Destination"] == nil {
		t.Error("stream failures have no destination")
	}
	sweep := event(t, tmpl, "EnqueuerFunction", "Sweep", "ScheduleV2")
	if sweep["RetryPolicy"] == nil || sweep["DeadLetterConfig"] == nil {
		t.Error("the sweep schedule lacks a retry policy or DLQ")
	}
}

func TestPollerScheduleHasRetryPolicyAndDLQ(t *testing.T) {
	tmpl := load(t)
	ev := event(t, tmpl, "PollerFunction", "PollPlenigo", "ScheduleV2")
	rp := m(ev["RetryPolicy"])
	if rp == nil || rp["MaximumRetryAttempts"] == nil || m(ev["DeadLetterConfig"])["Arn"] == nil {
		t.Errorf("poller schedule: %v", ev)
	}
}

func TestPusherStreamTakesWaitingLoyaltyTracksOnly(t *testing.T) {
	tmpl := load(t)
	ev := event(t, tmpl, "PusherFunction", "LoyaltyStream", "DynamoDB")
	if types, _ := ev["FunctionResponseTypes"].([]any); len(types) != 1 || types[0] != "ReportBatchItemFailures" {
		t.Error("the stream event does not report batch item failures")
	}
	if m(m(ev["DestinationConfig"])["OnFailure"])["Destination"] == nil {
		t.Error("stream failures have no destination")
	}
	var patterns []string
	filters, _ := m(ev["FilterCriteria"])["Filters"].([]any)
	for _, f := range filters {
		patterns = append(patterns, m(f)["Pattern"].(string))
	}
	filter, err := eventsource.ParseFilter(patterns...)
	if err != nil {
		t.Fatal(err)
	}
	records := func(fixture string) []map[string]any {
		b, err := os.ReadFile(filepath.Join("..", "..", "events", fixture))
		if err != nil {
			t.Fatal(err)
		}
		var ev struct{ Records []map[string]any }
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatal(err)
		}
		return ev.Records
	}
	for _, r := range records("pusher-loyalty-stream.json") {
		if !filter.Match(r) {
			t.Errorf("a waiting loyalty track's record is filtered out: %v", m(r["dynamodb"])["Keys"])
		}
		failed, _ := json.Marshal(r)
		var f map[string]any
		_ = json.Unmarshal([]byte(strings.NewReplacer("loyalty#AWARD_DUE", "loyalty#FAILED", "loyalty#REVERSAL_DUE", "loyalty#FAILED").Replace(string(failed))), &f)
		if filter.Match(f) {
			t.Error("a FAILED track's record reaches the pusher; it waits for an operator")
		}
	}
	for _, r := range records("enqueuer-orders-stream.json") {
		if filter.Match(r) {
			t.Errorf("an order item's record reaches the pusher: %v", m(r["dynamodb"])["Keys"])
		}
	}
	sweep := event(t, tmpl, "PusherFunction", "Sweep", "ScheduleV2")
	if sweep["Input"] != `{"action":"sweep"}` || sweep["RetryPolicy"] == nil || sweep["DeadLetterConfig"] == nil {
		t.Errorf("the loyalty sweep: %v", sweep)
	}
}

// TestTheReconciliationRunsDaily: the poller's second schedule asks for a reconciliation of the day
// before the last hour, may read the orders by day, and the disagreements' metric has its alarm.
func TestTheReconciliationRunsDaily(t *testing.T) {
	tmpl := load(t)
	ev := event(t, tmpl, "PollerFunction", "Reconcile", "ScheduleV2")
	if ev["Input"] != `{"reconcile":{"window":"24h","lag":"1h"}}` || ev["DeadLetterConfig"] == nil {
		t.Errorf("the reconciliation's schedule: %v", ev)
	}
	if def := tmpl.Parameters["ReconcileSchedule"]; def == nil || !strings.HasPrefix(fmt.Sprint(m(def)["Default"]), "cron(") {
		t.Errorf("ReconcileSchedule: %v", def)
	}
	b, _ := json.Marshal(tmpl.Resources["PollerFunction"].Properties["Policies"])
	if !strings.Contains(string(b), "dynamodb:BatchGetItem") || !strings.Contains(string(b), "/index/received") {
		t.Errorf("the poller may not read orders by day: %s", b)
	}
	if a := tmpl.Resources["DisagreementsAlarm"].Properties; a["MetricName"] != "Disagreements" {
		t.Errorf("DisagreementsAlarm watches %v", a["MetricName"])
	}
}

// TestTheLogLevelKeepsTheMetrics: the metrics are INFO log lines, so no level above INFO is offered.
func TestTheLogLevelKeepsTheMetrics(t *testing.T) {
	levels, _ := load(t).Parameters["LogLevel"]["AllowedValues"].([]any)
	if fmt.Sprint(levels) != "[DEBUG INFO]" {
		t.Errorf("LogLevel allows %v; a level above INFO would drop the metric lines", levels)
	}
}

// TestScheduledFunctionsMayRecordTheirRuns: each function with a schedule overwrites its run record
// (an UpdateItem, shared/runs) and reads records (GetItem) on the Orders table.
func TestScheduledFunctionsMayRecordTheirRuns(t *testing.T) {
	tmpl := load(t)
	for _, fn := range []string{"EnqueuerFunction", "PollerFunction", "PusherFunction"} {
		b, _ := json.Marshal(tmpl.Resources[fn].Properties["Policies"])
		for _, action := range []string{"dynamodb:UpdateItem", "dynamodb:GetItem", "dynamodb:PutItem"} {
			if !strings.Contains(string(b), action) {
				t.Errorf("%s may not %s", fn, action)
			}
		}
	}
}

// TestEveryFailureHasAnAlarmOnTheTopic: the failures operators must hear of each have an alarm, and
// every alarm notifies the alarm topic.
func TestEveryFailureHasAnAlarmOnTheTopic(t *testing.T) {
	tmpl := load(t)
	required := []string{
		"ReceiverErrorsAlarm", "Api5xxAlarm", "PurchaseConflictAlarm", // the edge
		"RejectedOrdersAlarm", "ImportFailedOrdersAlarm", "CancelRefusedOrdersAlarm", // orders needing a person
		"StuckImportsAlarm", "ImportJobAgeAlarm", "PollerStoppedAlarm", // work that stopped moving
		"EnqueuerIteratorAgeAlarm", "PusherIteratorAgeAlarm", // stream consumers falling behind
		"PartnerCredentialsRefusedAlarm",                                          // a refused token or user
		"PlenigoFailingAlarm", "PlentymarketsFailingAlarm", "BonifiqFailingAlarm", // a partner failing often
		"DisagreementsAlarm",                                                                    // orderhub and a partner disagree
		"ImportDLQAlarm", "StreamFailureDLQAlarm", "LoyaltyFailureDLQAlarm", "ScheduleDLQAlarm", // dead letters
		"EnqueuerErrorsAlarm", "WorkerErrorsAlarm", "PollerErrorsAlarm", "PusherErrorsAlarm", "LoyaltyFailedAlarm",
	}
	alarms := tmpl.ResourcesOfType("AWS::CloudWatch::Alarm")
	for _, name := range required {
		if _, ok := tmpl.Resources[name]; !ok {
			t.Errorf("no alarm %s", name)
		}
	}
	for _, name := range alarms {
		actions, _ := tmpl.Resources[name].Properties["AlarmActions"].([]any)
		b, _ := json.Marshal(actions)
		if len(actions) != 1 || !strings.Contains(string(b), "AlarmTopic") {
			t.Errorf("%s does not notify the alarm topic: %s", name, b)
		}
	}
}

// TestAPartnerFailingOftenRaisesAnAlarm: each partner's failing alarm reads PartnerCalls by the
// dimensions and outcomes the partner layer writes (shared/metrics), every outcome once, and
// counts as failed exactly the outcomes of a partner in trouble (not a refusal of one request).
func TestAPartnerFailingOftenRaisesAnAlarm(t *testing.T) {
	tmpl := load(t)
	outcomes := []string{metrics.OutcomeOK, metrics.OutcomeRefused, metrics.OutcomeThrottled, metrics.OutcomeServer, metrics.OutcomeTimeout, metrics.OutcomeTransport}
	for alarm, partner := range map[string]string{"PlenigoFailingAlarm": "plenigo", "PlentymarketsFailingAlarm": "plenty", "BonifiqFailingAlarm": "bonifiq"} {
		res, ok := tmpl.Resources[alarm]
		if !ok {
			t.Errorf("no alarm %s", alarm)
			continue
		}
		seen := map[string]bool{}
		var failed string
		for _, q := range res.Properties["Metrics"].([]any) {
			q := m(q)
			if expr, ok := q["Expression"].(string); ok {
				if q["Id"] == "failed" {
					failed = expr
				}
				continue
			}
			metric := m(m(q["MetricStat"])["Metric"])
			dims := map[string]any{}
			for _, d := range metric["Dimensions"].([]any) {
				dims[fmt.Sprint(m(d)["Name"])] = m(d)["Value"]
			}
			if metric["MetricName"] != metrics.PartnerCalls || len(dims) != 2 || dims[metrics.DimPartner] != partner || dims[metrics.DimOutcome] != q["Id"] {
				t.Errorf("%s reads %v %v as %v", alarm, metric["MetricName"], dims, q["Id"])
			}
			seen[fmt.Sprint(q["Id"])] = true
		}
		for _, o := range outcomes {
			if !seen[o] {
				t.Errorf("%s does not read the outcome %s", alarm, o)
			}
		}
		for _, o := range outcomes {
			in := strings.Contains(failed, "("+o+",")
			if want := o != metrics.OutcomeOK && o != metrics.OutcomeRefused; in != want {
				t.Errorf("%s counts %s as failed: %v, want %v (%s)", alarm, o, in, want, failed)
			}
		}
	}
}

// TestTheDashboardShowsTheFlow: the dashboard's body is JSON once substituted, and shows the backlog,
// what needs a person, the dead letters, every function's errors, the orders' transitions and the
// partner calls with their errors and latency.
func TestTheDashboardShowsTheFlow(t *testing.T) {
	tmpl := load(t)
	d, ok := tmpl.Resources["Dashboard"]
	if !ok {
		t.Fatal("no dashboard")
	}
	sub, _ := m(d.Properties["DashboardBody"])["Fn::Sub"].([]any)
	if len(sub) != 2 {
		t.Fatalf("DashboardBody is not a !Sub with variables: %v", d.Properties["DashboardBody"])
	}
	body := sub[0].(string)
	for _, want := range []string{"OrdersWaiting", "OldestWaitingSeconds", "REJECTED", "IMPORT_FAILED", "CANCEL_REFUSED", "loyalty#FAILED",
		"plenty#FAILED", "ApproximateNumberOfMessagesVisible", "${ReceiverFunction}", "${EnqueuerFunction}", "${WorkerFunction}",
		"${PollerFunction}", "${PusherFunction}",
		// the flow and the partners, searched by the dimension sets the functions write (shared/metrics)
		`{${Namespace},` + metrics.DimTrack + `,` + metrics.DimTo + `} MetricName=\"` + metrics.OrderTransitions + `\"`,
		`{${Namespace},` + metrics.DimPartner + `,` + metrics.DimOutcome + `} MetricName=\"` + metrics.PartnerCalls + `\"`,
		`{${Namespace},` + metrics.DimPartner + `,` + metrics.DimEndpoint + `,` + metrics.DimOutcome + `} MetricName=\"` + metrics.PartnerCalls + `\" NOT Outcome=\"` + metrics.OutcomeOK + `\"`,
		`{${Namespace},` + metrics.DimPartner + `,` + metrics.DimOutcome + `} MetricName=\"` + metrics.PartnerCallMilliseconds + `\"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the dashboard does not show %s", want)
		}
	}
	var anyJSON any
	placeholder := regexp.MustCompile(`\$\{[^}]*\}`)
	if err := json.Unmarshal([]byte(placeholder.ReplaceAllString(body, "x")), &anyJSON); err != nil {
		t.Errorf("the dashboard body is not JSON: %v", err)
	}
}
