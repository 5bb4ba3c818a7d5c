package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// brave is the Brave Search API: GET /res/v1/web/search with the key in
// X-Subscription-Token; results in web.results[].{title,url,description}.
type brave struct{ base, key string }

func (brave) name() string { return "Brave Search" }

func (b brave) search(ctx context.Context, c *http.Client, query string, limit int) ([]result, error) {
	q := url.Values{"q": {query}, "count": {fmt.Sprint(limit)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.base+"/res/v1/web/search?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Subscription-Token", b.key)
	var body struct {
		Web struct {
			Results []struct {
				Title       string `json:"title"`
				URL         string `json:"url"`
				Description string `json:"description"`
			} `json:"results"`
		} `json:"web"`
	}
	if err := do(c, req, EnvBrave, &body); err != nil {
		return nil, err
	}
	out := make([]result, 0, len(body.Web.Results))
	for _, r := range body.Web.Results {
		out = append(out, result{r.Title, r.URL, r.Description})
	}
	return out, nil
}

// tavily is the Tavily Search API: POST /search with a JSON body and the
// key as a bearer token; results in results[].{title,url,content}.
type tavily struct{ base, key string }

func (tavily) name() string { return "Tavily" }

func (t tavily) search(ctx context.Context, c *http.Client, query string, limit int) ([]result, error) {
	payload, err := json.Marshal(map[string]any{"query": query, "max_results": limit, "search_depth": "basic"})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.base+"/search", bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+t.key)
	return doResults(c, req, EnvTavily)
}

// searxng is a SearXNG instance's JSON API: GET /search?format=json
// (the instance must enable the json format); results[].{title,url,content}.
type searxng struct{ base string }

func (searxng) name() string { return "SearXNG" }

func (s searxng) search(ctx context.Context, c *http.Client, query string, _ int) ([]result, error) {
	q := url.Values{"q": {query}, "format": {"json"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/search?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	return doResults(c, req, EnvSearXNG)
}

// doResults sends req and reads the results[].{title,url,content} answer
// that Tavily and SearXNG share.
func doResults(c *http.Client, req *http.Request, variable string) ([]result, error) {
	var body struct {
		Results []struct {
			Title   string `json:"title"`
			URL     string `json:"url"`
			Content string `json:"content"`
		} `json:"results"`
	}
	if err := do(c, req, variable, &body); err != nil {
		return nil, err
	}
	out := make([]result, 0, len(body.Results))
	for _, r := range body.Results {
		out = append(out, result{r.Title, r.URL, r.Content})
	}
	return out, nil
}

// do sends req and decodes a JSON answer into v; a failed status becomes
// an error that says what to check.
func do(c *http.Client, req *http.Request, variable string, v any) error {
	resp, err := c.Do(req)
	if err != nil {
		if ue, ok := err.(*url.Error); ok {
			err = ue.Err
		}
		return fmt.Errorf("request failed: %v", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxSearchBody))
	if err != nil {
		return fmt.Errorf("reading the answer: %v", err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		hint := "check " + variable
		if variable == EnvSearXNG {
			hint = "enable the json format in the instance's settings.yml (search.formats)"
		}
		return fmt.Errorf("the API answered %s; %s", resp.Status, hint)
	case resp.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("rate limited (%s); wait a minute before searching again", resp.Status)
	case resp.StatusCode/100 != 2:
		return fmt.Errorf("the API answered %s: %s", resp.Status, oneLine(string(data), 200))
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("the answer is not the expected JSON (%v): %s", err, oneLine(strings.TrimSpace(string(data)), 100))
	}
	return nil
}
