package samtemplate

import "testing"

func TestParseAndResolveIntrinsics(t *testing.T) {
	tmpl, err := Parse([]byte(`
Parameters:
  Env: {Type: String, Default: dev}
  Size: {Type: Number}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      Name: !Sub orderhub-${Env}-orders
      Arn: !GetAtt Table.Arn
      Stream: !GetAtt [Table, StreamArn]
      Keep: !If [IsProd, 90, 14]
      Joined: !Join ["-", [a, !Ref Env]]
      Quoted: "007"
      Number: 7
      Flag: true
`))
	if err != nil {
		t.Fatal(err)
	}
	r := &Resolver{T: tmpl, Params: map[string]string{"Size": "3"},
		GetAtt: func(id, attr string) (string, bool) { return id + "." + attr, true }}
	p := tmpl.Resources["Table"].Properties
	for field, want := range map[string]any{"Name": "orderhub-dev-orders", "Arn": "Table.Arn", "Stream": "Table.StreamArn", "Keep": 14, "Joined": "a-dev", "Quoted": "007", "Number": 7, "Flag": true} {
		got, err := r.Resolve(p[field])
		if err != nil || got != want {
			t.Errorf("%s = %v (%T), %v; want %v", field, got, got, err, want)
		}
	}
	if ok, err := r.Condition("NotProd"); err != nil || !ok {
		t.Errorf("NotProd = %v, %v", ok, err)
	}
	r.Params["Env"] = "prod"
	if got, _ := r.Resolve(p["Keep"]); got != 90 {
		t.Errorf("Keep in prod = %v", got)
	}
	if _, err := r.Resolve(map[string]any{"Ref": "Missing"}); err == nil {
		t.Error("an unknown Ref resolved")
	}
	if _, err := Parse([]byte("A: !Unknown x\n")); err == nil {
		t.Error("an unknown tag was accepted")
	}
}
