package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// score is what one Lighthouse run reports.
type score struct {
	Performance, Accessibility, BestPractices float64 // 0–100
	LCP, TBT                                  float64 // ms
	CLS                                       float64
}

// lighthouseRuns is how many times each page and preset is measured; the
// run with the median performance score is reported. Lighthouse's
// simulated throttling scales the main-thread tasks it observed, so one
// busy moment on a shared machine moves a single run by 20 points.
var lighthouseRuns = flag.Int("lighthouse-runs", 3, "Lighthouse runs per page and preset; the median is reported")

// lighthouseRetries is how often a Lighthouse run that failed outright is
// run again.
const lighthouseRetries = 2

// lighthouseOut keeps each run's full report, so a bad score can be
// explained afterwards (which element was the LCP, what the page was).
var lighthouseOut = flag.String("lighthouse-out", "", "write each Lighthouse run's JSON report to this directory")

// lighthouseSeq numbers the reports kept in lighthouseOut.
var lighthouseSeq int

// lighthouse runs Lighthouse (its npm CLI, at cli) on url with a preset
// ("mobile": simulated slow 4G and a 4× slower CPU; "desktop") in the given
// Chromium, sending cookie when not empty, lighthouseRuns times, and
// returns the run with the median performance score.
func lighthouse(ctx context.Context, cli, chromium, url, preset, cookie string) (score, error) {
	var runs []score
	for range max(*lighthouseRuns, 1) {
		s, err := lighthouseOnce(ctx, cli, chromium, url, preset, cookie)
		for retry := 0; err != nil && retry < lighthouseRetries; retry++ {
			// Lighthouse on a busy machine now and then loses the trace's
			// navigationStart (NO_NAVSTART), on /signin as on any page and
			// for old and new builds alike: a run that produced no
			// figures is run again rather than losing the page's row.
			log.Printf("%v; running it again", err)
			s, err = lighthouseOnce(ctx, cli, chromium, url, preset, cookie)
		}
		if err != nil {
			return score{}, err
		}
		runs = append(runs, s)
	}
	slices.SortFunc(runs, func(a, b score) int { return cmp.Compare(a.Performance, b.Performance) })
	return runs[len(runs)/2], nil
}

// lighthouseOnce is one Lighthouse run.
func lighthouseOnce(ctx context.Context, cli, chromium, url, preset, cookie string) (score, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	args := []string{url, "--output=json", "--output-path=stdout", "--quiet",
		"--only-categories=performance,accessibility,best-practices",
		"--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"}
	if preset == "desktop" {
		args = append(args, "--preset=desktop")
	}
	if cookie != "" {
		h, _ := json.Marshal(map[string]string{"Cookie": cookie})
		args = append(args, "--extra-headers="+string(h))
	}
	cmd := exec.CommandContext(ctx, cli, args...)
	cmd.Env = append(os.Environ(), "CHROME_PATH="+chromium)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return score{}, fmt.Errorf("lighthouse %s %s: %w", preset, url, err)
	}
	if *lighthouseOut != "" {
		lighthouseSeq++
		name := fmt.Sprintf("%02d-%s-%s.json", lighthouseSeq, preset, strings.Trim(strings.NewReplacer("/", "-", ":", "").Replace(url[strings.LastIndex(url, "/"):]), "-"))
		if err := os.MkdirAll(*lighthouseOut, 0o755); err == nil {
			_ = os.WriteFile(filepath.Join(*lighthouseOut, name), out, 0o644)
		}
	}
	var r struct {
		Categories map[string]struct {
			Score float64 `json:"score"`
		} `json:"categories"`
		Audits map[string]struct {
			NumericValue float64 `json:"numericValue"`
		} `json:"audits"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return score{}, fmt.Errorf("lighthouse output: %w", err)
	}
	return score{
		Performance:   100 * r.Categories["performance"].Score,
		Accessibility: 100 * r.Categories["accessibility"].Score,
		BestPractices: 100 * r.Categories["best-practices"].Score,
		LCP:           r.Audits["largest-contentful-paint"].NumericValue,
		TBT:           r.Audits["total-blocking-time"].NumericValue,
		CLS:           r.Audits["cumulative-layout-shift"].NumericValue,
	}, nil
}
