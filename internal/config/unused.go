package config

import (
	"sort"
	"strings"
)

// NotUsedYet lists the keys (a key stands for everything under it) that
// are parsed, validated and documented but that nothing reads yet, because
// the feature they configure is not built. `hermes config check` notes
// each one written in config.yaml, and docs/config-reference.md marks
// them. When a feature lands, delete its line here.
var NotUsedYet = map[string]string{
	"auxiliary.vision": "hermes has no tool that reads images yet",
}

// notUsedYet reports the reason when path is, or is under, a NotUsedYet
// key.
func notUsedYet(path string) (string, bool) {
	for p := path; p != ""; {
		if why, ok := NotUsedYet[p]; ok {
			return why, true
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return "", false
}

// checkNotUsed notes every written key under a NotUsedYet key, once per
// NotUsedYet entry, at the first such key in the file.
func (d *decoder) checkNotUsed() {
	paths := make([]string, 0, len(d.values))
	for p := range d.values {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	seen := map[string]bool{}
	for _, p := range paths {
		why, ok := notUsedYet(p)
		if !ok || seen[why+rootOf(p)] {
			continue
		}
		seen[why+rootOf(p)] = true
		d.add(Notice, d.values[p], p, "not used yet: "+why, "the setting is kept, and takes effect when the feature lands")
	}
}

func rootOf(p string) string {
	for k := range NotUsedYet {
		if p == k || strings.HasPrefix(p, k+".") {
			return k
		}
	}
	return p
}
