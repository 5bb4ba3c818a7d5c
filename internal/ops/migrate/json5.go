package migrate

import "errors"

// json5ToYAML turns the JSON5 of openclaw.json into YAML flow text that
// the YAML parser reads: comments become spaces (so lines and columns
// stay where they were), trailing commas go, and a space follows every
// colon outside strings (JSON5 allows {a:1}, which YAML would read as one
// word). Strings are copied as they are.
func json5ToYAML(in []byte) ([]byte, error) {
	out := make([]byte, 0, len(in)+len(in)/8)
	for i := 0; i < len(in); i++ {
		c := in[i]
		switch {
		case c == '"' || c == '\'':
			j, err := skipString(in, i)
			if err != nil {
				return nil, err
			}
			out = append(out, in[i:j]...)
			i = j - 1
		case c == '/' && i+1 < len(in) && in[i+1] == '/':
			for i < len(in) && in[i] != '\n' {
				out = append(out, ' ')
				i++
			}
			if i < len(in) {
				out = append(out, '\n')
			}
		case c == '/' && i+1 < len(in) && in[i+1] == '*':
			end := -1
			for j := i + 2; j+1 < len(in); j++ {
				if in[j] == '*' && in[j+1] == '/' {
					end = j + 2
					break
				}
			}
			if end < 0 {
				return nil, errors.New("a /* comment is not closed")
			}
			for ; i < end; i++ {
				if in[i] == '\n' {
					out = append(out, '\n')
				} else {
					out = append(out, ' ')
				}
			}
			i--
		case c == ',':
			if next := nextSignificant(in, i+1); next == '}' || next == ']' {
				out = append(out, ' ')
			} else {
				out = append(out, c)
			}
		case c == ':':
			out = append(out, ':', ' ')
		default:
			out = append(out, c)
		}
	}
	return out, nil
}

// skipString returns the index just past the string starting at i.
func skipString(in []byte, i int) (int, error) {
	q := in[i]
	for j := i + 1; j < len(in); j++ {
		switch in[j] {
		case '\\':
			j++
		case q:
			return j + 1, nil
		case '\n':
			return 0, errors.New("a string runs past the end of its line")
		}
	}
	return 0, errors.New("a string is not closed")
}

// nextSignificant is the next byte after i that is not space or comment.
func nextSignificant(in []byte, i int) byte {
	for i < len(in) {
		switch c := in[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '/' && i+1 < len(in) && in[i+1] == '/':
			for i < len(in) && in[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(in) && in[i+1] == '*':
			i += 2
			for i+1 < len(in) && (in[i] != '*' || in[i+1] != '/') {
				i++
			}
			i += 2
		default:
			return c
		}
	}
	return 0
}
