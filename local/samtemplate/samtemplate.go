// Package samtemplate reads template.yaml so local tooling and tests build exactly what the template
// declares. It decodes with yaml.v3 nodes, turning the short intrinsic tags (!Ref, !Sub, !GetAtt, …)
// into their long forms, and resolves intrinsics against local names.
package samtemplate

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Template is the decoded document. Values are string, bool, int, float64, []any or map[string]any;
// intrinsics appear in long form, e.g. map[string]any{"Fn::Sub": "…"}.
type Template struct {
	Parameters map[string]map[string]any
	Conditions map[string]any
	Globals    map[string]any
	Resources  map[string]Resource
	Outputs    map[string]any
}

// Resource is one entry of Resources.
type Resource struct {
	Type       string
	Properties map[string]any
	Metadata   map[string]any
}

// Load reads and decodes a template file.
func Load(path string) (*Template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// Parse decodes a template document.
func Parse(b []byte) (*Template, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	if len(root.Content) == 0 {
		return nil, fmt.Errorf("template: empty document")
	}
	v, err := value(root.Content[0])
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("template: top level is not a mapping")
	}
	t := &Template{Parameters: map[string]map[string]any{}, Resources: map[string]Resource{}}
	for name, p := range mapOf(doc["Parameters"]) {
		t.Parameters[name] = mapOf(p)
	}
	t.Conditions = mapOf(doc["Conditions"])
	t.Globals = mapOf(doc["Globals"])
	t.Outputs = mapOf(doc["Outputs"])
	for name, r := range mapOf(doc["Resources"]) {
		rm := mapOf(r)
		typ, _ := rm["Type"].(string)
		t.Resources[name] = Resource{Type: typ, Properties: mapOf(rm["Properties"]), Metadata: mapOf(rm["Metadata"])}
	}
	return t, nil
}

// ResourcesOfType returns the logical ids of resources of a type, sorted.
func (t *Template) ResourcesOfType(typ string) []string {
	var ids []string
	for id, r := range t.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// FunctionProperty returns a function's property, falling back to Globals.Function as SAM does.
func (t *Template) FunctionProperty(logicalID, name string) any {
	if v, ok := t.Resources[logicalID].Properties[name]; ok {
		return v
	}
	return mapOf(t.Globals["Function"])[name]
}

// intrinsicTags maps short tags to their long form.
var intrinsicTags = map[string]string{
	"!Ref": "Ref", "!Sub": "Fn::Sub", "!GetAtt": "Fn::GetAtt", "!If": "Fn::If", "!Equals": "Fn::Equals",
	"!Not": "Fn::Not", "!And": "Fn::And", "!Or": "Fn::Or", "!Join": "Fn::Join", "!Select": "Fn::Select",
	"!Split": "Fn::Split", "!FindInMap": "Fn::FindInMap", "!ImportValue": "Fn::ImportValue",
	"!Base64": "Fn::Base64", "!GetAZs": "Fn::GetAZs", "!Condition": "Condition", "!Cidr": "Fn::Cidr",
}

func value(n *yaml.Node) (any, error) {
	if n.Kind == yaml.AliasNode {
		return value(n.Alias)
	}
	var v any
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, err := value(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = k
		}
		v = m
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			e, err := value(c)
			if err != nil {
				return nil, err
			}
			s = append(s, e)
		}
		v = s
	case yaml.ScalarNode:
		v = scalar(n)
	default:
		return nil, fmt.Errorf("line %d: unsupported node", n.Line)
	}
	long, ok := intrinsicTags[n.Tag]
	if !ok {
		if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
			return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
		}
		return v, nil
	}
	if long == "Fn::GetAtt" {
		if s, ok := v.(string); ok {
			parts := strings.SplitN(s, ".", 2)
			v = []any{parts[0], parts[len(parts)-1]}
		}
	}
	return map[string]any{long: v}, nil
}

func scalar(n *yaml.Node) any {
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return n.Value
	}
	switch n.ShortTag() {
	case "!!bool":
		b, _ := strconv.ParseBool(n.Value)
		return b
	case "!!int":
		i, _ := strconv.Atoi(n.Value)
		return i
	case "!!float":
		f, _ := strconv.ParseFloat(n.Value, 64)
		return f
	}
	return n.Value
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// Map returns v as a mapping, nil when it is none; it reads decoded template values without type
// switches at every step.
func Map(v any) map[string]any { return mapOf(v) }

// Str returns v as a string, "" when it is none.
func Str(v any) string {
	s, _ := v.(string)
	return s
}

// Int returns v as an integer, fallback when it is none.
func Int(v any, fallback int) int {
	switch n := v.(type) {
	case int:
		return n
	case float64:
		return int(n)
	}
	return fallback
}

// EventProperties returns the Properties of a function's event, nil when there is no such event.
func (t *Template) EventProperties(function, event string) map[string]any {
	return mapOf(mapOf(mapOf(t.Resources[function].Properties["Events"])[event])["Properties"])
}

// Resolver evaluates intrinsics for a local run.
type Resolver struct {
	T *Template
	// Params holds parameter values; parameters missing here take their Default.
	Params map[string]string
	// Ref resolves !Ref of a resource; GetAtt resolves !GetAtt. Both return false when unknown.
	Ref    func(logicalID string) (string, bool)
	GetAtt func(logicalID, attr string) (string, bool)
	// Pseudo holds pseudo parameters such as AWS::Region.
	Pseudo map[string]string
}

var subVar = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

// Resolve evaluates v, returning plain values.
func (r *Resolver) Resolve(v any) (any, error) {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			rv, err := r.Resolve(e)
			if err != nil {
				return nil, err
			}
			out[i] = rv
		}
		return out, nil
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return r.intrinsic(k, arg)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			rv, err := r.Resolve(e)
			if err != nil {
				return nil, err
			}
			out[k] = rv
		}
		return out, nil
	}
	return v, nil
}

// String resolves v and requires a string result.
func (r *Resolver) String(v any) (string, error) {
	rv, err := r.Resolve(v)
	if err != nil {
		return "", err
	}
	switch s := rv.(type) {
	case string:
		return s, nil
	case int:
		return strconv.Itoa(s), nil
	case bool:
		return strconv.FormatBool(s), nil
	}
	return "", fmt.Errorf("resolves to %T, not a string", rv)
}

func (r *Resolver) name(n string) (string, error) {
	if p, ok := r.T.Parameters[n]; ok {
		if v, ok := r.Params[n]; ok {
			return v, nil
		}
		if d, ok := p["Default"]; ok {
			return fmt.Sprint(d), nil
		}
		return "", fmt.Errorf("parameter %s has no value and no default", n)
	}
	if v, ok := r.Pseudo[n]; ok {
		return v, nil
	}
	if r.Ref != nil {
		if v, ok := r.Ref(n); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("cannot resolve Ref %s", n)
}

func (r *Resolver) intrinsic(fn string, arg any) (any, error) {
	switch fn {
	case "Ref":
		s, _ := arg.(string)
		return r.name(s)
	case "Fn::GetAtt":
		parts, _ := arg.([]any)
		if len(parts) != 2 || r.GetAtt == nil {
			return nil, fmt.Errorf("cannot resolve GetAtt %v", arg)
		}
		id, attr := fmt.Sprint(parts[0]), fmt.Sprint(parts[1])
		if v, ok := r.GetAtt(id, attr); ok {
			return v, nil
		}
		return nil, fmt.Errorf("cannot resolve GetAtt %s.%s", id, attr)
	case "Fn::Sub":
		tmpl, ok := arg.(string)
		vars := map[string]any{}
		if list, isList := arg.([]any); isList && len(list) == 2 {
			tmpl, ok = list[0].(string)
			vars = mapOf(list[1])
		}
		if !ok {
			return nil, fmt.Errorf("bad Fn::Sub %v", arg)
		}
		var firstErr error
		out := subVar.ReplaceAllStringFunc(tmpl, func(m string) string {
			key := m[2 : len(m)-1]
			var s string
			var err error
			switch {
			case vars[key] != nil:
				s, err = r.String(vars[key])
			case strings.Contains(key, ".") && r.Pseudo[key] == "":
				id, attr, _ := strings.Cut(key, ".")
				var v any
				v, err = r.intrinsic("Fn::GetAtt", []any{id, attr})
				s = fmt.Sprint(v)
			default:
				s, err = r.name(key)
			}
			if err != nil && firstErr == nil {
				firstErr = err
			}
			return s
		})
		return out, firstErr
	case "Fn::If":
		list, _ := arg.([]any)
		if len(list) != 3 {
			return nil, fmt.Errorf("bad Fn::If %v", arg)
		}
		cond, err := r.Condition(fmt.Sprint(list[0]))
		if err != nil {
			return nil, err
		}
		if cond {
			return r.Resolve(list[1])
		}
		return r.Resolve(list[2])
	case "Fn::Join":
		list, _ := arg.([]any)
		if len(list) != 2 {
			return nil, fmt.Errorf("bad Fn::Join %v", arg)
		}
		parts, err := r.Resolve(list[1])
		if err != nil {
			return nil, err
		}
		ps, _ := parts.([]any)
		strs := make([]string, len(ps))
		for i, p := range ps {
			strs[i] = fmt.Sprint(p)
		}
		return strings.Join(strs, fmt.Sprint(list[0])), nil
	}
	return nil, fmt.Errorf("intrinsic %s is not supported locally", fn)
}

// Condition evaluates a named condition.
func (r *Resolver) Condition(name string) (bool, error) {
	c, ok := r.T.Conditions[name]
	if !ok {
		return false, fmt.Errorf("unknown condition %s", name)
	}
	return r.boolean(c)
}

func (r *Resolver) boolean(v any) (bool, error) {
	m := mapOf(v)
	for fn, arg := range m {
		list, _ := arg.([]any)
		switch fn {
		case "Fn::Equals":
			if len(list) != 2 {
				return false, fmt.Errorf("bad Fn::Equals")
			}
			a, err := r.String(list[0])
			if err != nil {
				return false, err
			}
			b, err := r.String(list[1])
			return a == b, err
		case "Fn::Not":
			if len(list) != 1 {
				return false, fmt.Errorf("bad Fn::Not")
			}
			b, err := r.boolean(list[0])
			return !b, err
		case "Fn::And", "Fn::Or":
			and := fn == "Fn::And"
			for _, e := range list {
				b, err := r.boolean(e)
				if err != nil {
					return false, err
				}
				if b != and {
					return b, nil
				}
			}
			return and, nil
		case "Condition":
			return r.Condition(fmt.Sprint(arg))
		}
	}
	return false, fmt.Errorf("cannot evaluate condition %v", v)
}
