package detect

import (
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// Fork bombs by shape: a function that calls itself, directly or through
// other functions, where at least one call of the cycle is in the
// background or in a pipeline (each of which forks). `:(){ :|:& };:`,
// `f(){ $FUNCNAME|$FUNCNAME& };f` and `a(){ b|b& }; b(){ a|a& }; a` are
// all one shape; a plain recursive function is not.

// funcInfo is one function definition: whom it calls, and where.
type funcInfo struct {
	text  string
	edges []funcEdge
}

type funcEdge struct {
	to    string
	spawn bool // the call forks: background or a pipeline stage
}

// maxGraphFuncs bounds the functions of one level that enter the graph.
const maxGraphFuncs = 4096

// funcDecl records the calls a function definition makes.
func (s *scanner) funcDecl(lv *level, fd *syntax.FuncDecl) {
	if fd.Name == nil || fd.Body == nil {
		return
	}
	if lv.funcs == nil {
		lv.funcs = map[string]funcInfo{}
	}
	if len(lv.funcs) >= maxGraphFuncs {
		return
	}
	self := fd.Name.Value
	info := funcInfo{text: strings.TrimSpace(lv.slice(fd.Pos(), fd.End()))}
	var walk func(n syntax.Node, spawn bool)
	walk = func(root syntax.Node, spawn bool) {
		syntax.Walk(root, func(n syntax.Node) bool {
			switch n := n.(type) {
			case *syntax.Stmt:
				if n.Background && !spawn && n.Cmd != nil {
					walk(n.Cmd, true)
					return false
				}
			case *syntax.BinaryCmd:
				if (n.Op == syntax.Pipe || n.Op == syntax.PipeAll) && !spawn {
					walk(n.X, true)
					walk(n.Y, true)
					return false
				}
			case *syntax.FuncDecl:
				return n == root // nested definitions are their own nodes
			case *syntax.CallExpr:
				if name := s.calledName(lv, n, self); name != "" {
					info.edges = append(info.edges, funcEdge{to: name, spawn: spawn})
				}
			}
			return true
		})
	}
	walk(fd.Body, false)
	lv.funcs[self] = info
}

// calledName is the function a call runs, looking through wrappers that
// run their operand in the same shell and through $FUNCNAME.
func (s *scanner) calledName(lv *level, ce *syntax.CallExpr, self string) string {
	for _, w := range ce.Args {
		v := s.word(lv, w).val
		switch v {
		case "$FUNCNAME", "${FUNCNAME}", "${FUNCNAME[0]}", "${FUNCNAME[@]}", "${FUNCNAME[*]}":
			return self
		case "command", "builtin", "exec", "eval", "nohup", "setsid", "nice", "time", "env", "then", "sudo":
			continue
		}
		return v
	}
	return ""
}

// forkBombs reports every function on a call cycle that has a forking
// call (Tarjan's strongly connected components: linear in the graph).
func (s *scanner) forkBombs(lv *level) {
	if len(lv.funcs) == 0 {
		return
	}
	index := map[string]int{}
	low := map[string]int{}
	comp := map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	next, ncomp := 0, 0
	var connect func(v string)
	connect = func(v string) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, e := range lv.funcs[v].edges {
			if _, ok := lv.funcs[e.to]; !ok {
				continue
			}
			if _, seen := index[e.to]; !seen {
				connect(e.to)
				low[v] = min(low[v], low[e.to])
			} else if onStack[e.to] {
				low[v] = min(low[v], index[e.to])
			}
		}
		if low[v] == index[v] {
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp[w] = ncomp
				if w == v {
					break
				}
			}
			ncomp++
		}
	}
	for v := range lv.funcs {
		if _, seen := index[v]; !seen {
			connect(v)
		}
	}
	for v, info := range lv.funcs {
		for _, e := range info.edges {
			if _, ok := lv.funcs[e.to]; ok && e.spawn && comp[e.to] == comp[v] {
				s.add("hardline.fork_bomb", info.text)
				break
			}
		}
	}
}
