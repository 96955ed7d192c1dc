package eventsource

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Filter is a Lambda event filter: records match when they match any of the patterns. An empty
// Filter matches everything.
type Filter []map[string]any

// ParseFilter reads the patterns of a FilterCriteria (each a JSON string).
func ParseFilter(patterns ...string) (Filter, error) {
	f := make(Filter, 0, len(patterns))
	for _, p := range patterns {
		var m map[string]any
		if err := json.Unmarshal([]byte(p), &m); err != nil {
			return nil, fmt.Errorf("filter pattern %q: %w", p, err)
		}
		f = append(f, m)
	}
	return f, nil
}

// Match reports whether a record (its JSON form decoded into maps) matches.
func (f Filter) Match(record map[string]any) bool {
	if len(f) == 0 {
		return true
	}
	for _, p := range f {
		if matchObject(p, record) {
			return true
		}
	}
	return false
}

func matchObject(pattern, value map[string]any) bool {
	for k, want := range pattern {
		got, present := value[k]
		switch w := want.(type) {
		case map[string]any:
			sub, ok := got.(map[string]any)
			if !ok || !matchObject(w, sub) {
				return false
			}
		case []any:
			if !matchAny(w, got, present) {
				return false
			}
		default:
			return false // a pattern leaf must be an array
		}
	}
	return true
}

// matchAny matches a value against a pattern's array: equal to one of the literals, or satisfying
// one of the operators prefix, anything-but, exists.
func matchAny(options []any, got any, present bool) bool {
	for _, o := range options {
		switch op := o.(type) {
		case map[string]any:
			if matchOperator(op, got, present) {
				return true
			}
		default:
			if present && equalScalar(op, got) {
				return true
			}
		}
	}
	return false
}

func matchOperator(op map[string]any, got any, present bool) bool {
	for name, arg := range op {
		switch name {
		case "exists":
			return arg == present
		case "prefix":
			s, ok := got.(string)
			p, _ := arg.(string)
			return present && ok && strings.HasPrefix(s, p)
		case "anything-but":
			list, isList := arg.([]any)
			if !isList {
				list = []any{arg}
			}
			if !present {
				return false
			}
			for _, l := range list {
				if equalScalar(l, got) {
					return false
				}
			}
			return true
		}
	}
	return false
}

func equalScalar(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	}
	return false
}
