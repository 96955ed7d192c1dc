// Package samconfig reads a deployment environment from samconfig.toml (the file `sam deploy
// --config-env NAME` reads) and from template.yaml: where that environment's stack is and what its
// functions are told about the partners, so the operator's commands reach a deployed stack by the
// name it was deployed with.
package samconfig

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/orderhub/orderhub/local/samtemplate"
)

// Env is one deployment environment.
type Env struct {
	Name      string
	StackName string
	Region    string
	// Params are the template parameters the environment overrides (parameter_overrides).
	Params map[string]string
}

// Load reads environment name from the samconfig.toml at path.
func Load(path, name string) (Env, error) {
	var doc map[string]any
	if _, err := toml.DecodeFile(path, &doc); err != nil {
		return Env{}, fmt.Errorf("%s: %w", path, err)
	}
	p := table(table(table(doc, name), "deploy"), "parameters")
	if p == nil {
		return Env{}, fmt.Errorf("%s has no [%s.deploy.parameters]", path, name)
	}
	global := table(table(table(doc, name), "global"), "parameters")
	e := Env{Name: name, StackName: cmp.Or(str(p["stack_name"]), str(global["stack_name"])), Region: cmp.Or(str(p["region"]), str(global["region"]))}
	overrides := str(p["parameter_overrides"])
	if list, ok := p["parameter_overrides"].([]any); ok { // the array form: one "Key=Value" per entry
		parts := make([]string, len(list))
		for i, v := range list {
			parts[i] = str(v)
		}
		overrides = strings.Join(parts, " ")
	}
	var err error
	if e.Params, err = ParseOverrides(overrides); err != nil {
		return Env{}, fmt.Errorf("%s [%s.deploy.parameters] parameter_overrides: %w", path, name, err)
	}
	if e.Params["Environment"] == "" {
		return Env{}, fmt.Errorf("%s [%s.deploy.parameters] does not set the Environment parameter", path, name)
	}
	return e, nil
}

// OrdersTable is the environment's Orders table, as template.yaml names it.
func (e Env) OrdersTable() string { return "orderhub-" + e.Params["Environment"] + "-orders" }

// ParseOverrides reads sam's parameter_overrides: Key=Value pairs separated by spaces, each value
// bare or in double quotes (with \" and \\ inside).
func ParseOverrides(s string) (map[string]string, error) {
	out := map[string]string{}
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) { // spaces, tabs and newlines part the pairs
		k, rest, ok := strings.Cut(s, "=")
		if !ok || k == "" || strings.ContainsAny(k, " \t\r\n\"") {
			return nil, fmt.Errorf("want Key=Value at %q", s)
		}
		var v strings.Builder
		if strings.HasPrefix(rest, `"`) {
			i := 1
			for ; i < len(rest) && rest[i] != '"'; i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
				}
				v.WriteByte(rest[i])
			}
			if i == len(rest) {
				return nil, fmt.Errorf("unterminated quote after %s=", k)
			}
			s = rest[i+1:]
		} else {
			end := strings.IndexAny(rest, " \t\r\n")
			if end < 0 {
				end = len(rest)
			}
			v.WriteString(rest[:end])
			s = rest[end:]
		}
		out[k] = v.String()
	}
	return out, nil
}

// PartnerEnv resolves the partner variables (PLENIGO_*, PLENTY_*, BONIFIQ_*) the functions of t
// are given, with e's parameters and the template's defaults. A variable whose parameter the
// environment leaves to the deploy command (a secret's ARN given with --parameter-overrides) is
// left out and listed in missing.
func (e Env) PartnerEnv(t *samtemplate.Template, functions ...string) (env map[string]string, missing []string) {
	r := &samtemplate.Resolver{T: t, Params: e.Params, Pseudo: map[string]string{"AWS::Region": e.Region, "AWS::StackName": e.StackName},
		Ref:    func(string) (string, bool) { return "", false },
		GetAtt: func(string, string) (string, bool) { return "", false }}
	out := map[string]string{}
	for _, fn := range functions {
		vars := samtemplate.Map(samtemplate.Map(t.Resources[fn].Properties["Environment"])["Variables"])
		for k, v := range vars {
			if !strings.HasPrefix(k, "PLENIGO_") && !strings.HasPrefix(k, "PLENTY_") && !strings.HasPrefix(k, "BONIFIQ_") {
				continue
			}
			s, err := r.String(v)
			if err != nil {
				if !slices.Contains(missing, k) {
					missing = append(missing, k)
				}
				continue
			}
			out[k] = s
		}
	}
	slices.Sort(missing)
	return out, missing
}

func str(v any) string { s, _ := v.(string); return s }

func table(m map[string]any, key string) map[string]any { t, _ := m[key].(map[string]any); return t }
