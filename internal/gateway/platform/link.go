package platform

import "sync"

// Link reports an adapter's connection to the core: Up once per change to
// connected (a reconnect after a drop reports again, a steady connection
// does not repeat itself), Down every time, with the error. The zero
// value is "not known yet". It is safe for concurrent use.
type Link struct {
	mu    sync.Mutex
	state int // 0 unknown, 1 up, 2 down
}

// Reset forgets the state, so the next Up reports again: a restarted
// Run reports its connection afresh.
func (l *Link) Reset() {
	l.mu.Lock()
	l.state = 0
	l.mu.Unlock()
}

// Up reports name connected unless it already was.
func (l *Link) Up(h Handler, name string) {
	l.mu.Lock()
	was := l.state
	l.state = 1
	l.mu.Unlock()
	if was != 1 {
		h.Connected(name, true, nil)
	}
}

// Down reports name disconnected with err.
func (l *Link) Down(h Handler, name string, err error) {
	l.mu.Lock()
	l.state = 2
	l.mu.Unlock()
	h.Connected(name, false, err)
}
