package samtemplate_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/orderhub/orderhub/functions/enqueuer"
)

// TestTheDigestRunsOnTheEnqueuerAndPublishesToTheAlarmTopicOnly: the failure digest is the
// enqueuer's second schedule, on the DigestSchedule parameter (daily by default) with its own
// input, retries and dead-letter queue; the enqueuer is told the alarm topic and may publish to it
// and to nothing else, and no other function may publish at all.
func TestTheDigestRunsOnTheEnqueuerAndPublishesToTheAlarmTopicOnly(t *testing.T) {
	tmpl := load(t)
	ev := event(t, tmpl, "EnqueuerFunction", "Digest", "ScheduleV2")
	if ev["Input"] != `{"action":"digest"}` || m(ev["ScheduleExpression"])["Ref"] != "DigestSchedule" ||
		ev["RetryPolicy"] == nil || m(ev["DeadLetterConfig"])["Arn"] == nil {
		t.Errorf("the digest schedule: %v", ev)
	}
	param := tmpl.Parameters["DigestSchedule"]
	if d, _ := m(param)["Default"].(string); !strings.HasPrefix(d, "cron(") || !strings.Contains(d, "* * ? *") {
		t.Errorf("DigestSchedule's default %v is not daily", m(param)["Default"])
	}
	vars := m(m(tmpl.Resources["EnqueuerFunction"].Properties["Environment"])["Variables"])
	if m(vars[enqueuer.EnvDigestTopic])["Ref"] != "AlarmTopic" {
		t.Errorf("%s is %v, not the alarm topic", enqueuer.EnvDigestTopic, vars[enqueuer.EnvDigestTopic])
	}
	for _, fn := range tmpl.ResourcesOfType("AWS::Serverless::Function") {
		pols, _ := tmpl.Resources[fn].Properties["Policies"].([]any)
		for _, p := range pols {
			stmts, _ := m(p)["Statement"].([]any)
			for _, s := range stmts {
				action, _ := json.Marshal(m(s)["Action"])
				if !strings.Contains(string(action), "sns:") {
					continue
				}
				res, _ := json.Marshal(m(s)["Resource"])
				if fn != "EnqueuerFunction" || string(action) != `"sns:Publish"` || string(res) != `{"Ref":"AlarmTopic"}` {
					t.Errorf("%s may %s on %s", fn, action, res)
				}
			}
		}
	}
}
