package terminal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// decodeArgs reads the arguments object into v, refusing unknown fields,
// and explains a failure in one line the model can act on.
func decodeArgs(raw json.RawMessage, v any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	err := d.Decode(v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Errorf("argument %q must be %s, not a JSON %s", te.Field, kind(te.Type.Kind().String()), te.Value)
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Errorf("unknown argument %s; use only the arguments in the tool's schema", f)
	}
	return fmt.Errorf("the arguments are not valid JSON (%v)", err)
}

func kind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "float64", "int", "int64":
		return "a number"
	case "slice", "array":
		return "a list"
	}
	return "an object"
}

// seconds turns a timeout argument into a duration: positive, finite, and
// at most limit (capped is true when it was lowered to limit).
func seconds(name string, v float64, limit time.Duration) (d time.Duration, capped bool, err error) {
	if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
		return 0, false, fmt.Errorf("argument %q must be a positive number of seconds, not %v", name, v)
	}
	if v >= limit.Seconds() {
		return limit, v > limit.Seconds(), nil
	}
	return time.Duration(v * float64(time.Second)), false, nil
}
