package shared_test

import (
	"testing"

	"natter/shared"
)

func TestDecodeFrame(t *testing.T) {
	tests := []struct {
		name  string
		frame string
		types []string
		bad   bool
	}{
		{"one", `{"type":"ack","id":"a"}`, []string{"ack"}, false},
		{"newline batch", "{\"type\":\"ping\"}\n{\"type\":\"caught_up\"}\n", []string{"ping", "caught_up"}, false},
		{"array", `[{"type":"ping"},{"type":"pong"}]`, []string{"ping", "pong"}, false},
		{"bad line skipped", "{\"type\":\"ping\"}\nnot json\n{\"type\":\"pong\"}", []string{"ping", "pong"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			envs, err := shared.DecodeFrame([]byte(tt.frame))
			if (err != nil) != tt.bad {
				t.Errorf("err = %v", err)
			}
			if len(envs) != len(tt.types) {
				t.Fatalf("got %d envelopes, want %d", len(envs), len(tt.types))
			}
			for i, e := range envs {
				if e.Type != tt.types[i] {
					t.Errorf("#%d type %s, want %s", i, e.Type, tt.types[i])
				}
			}
		})
	}
}
