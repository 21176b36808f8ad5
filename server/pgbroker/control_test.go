package pgbroker

import (
	"encoding/json"
	"testing"

	"natter/shared"
)

// kicks records what Apply asked a hub to do.
type kicks struct {
	users, sessions []int64
	envs            [][]byte
}

func (k *kicks) DisconnectUser(id int64, env []byte) {
	k.users = append(k.users, id)
	k.envs = append(k.envs, env)
}

func (k *kicks) DisconnectSession(id int64, env []byte) {
	k.sessions = append(k.sessions, id)
	k.envs = append(k.envs, env)
}

func TestApply(t *testing.T) {
	tests := []struct {
		name        string
		c           Control
		user, sess  int64
		code, reply string
	}{
		{"disabled user", Control{Kind: KindDisconnectUser, UserID: 4}, 4, 0, shared.CodeAccountDisabled, "This account has been disabled."},
		{"revoked session", Control{Kind: KindDisconnectSession, SessionID: 6}, 0, 6, shared.CodeSessionRevoked, "Your session has ended. Please sign in again."},
		{"own reason", Control{Kind: KindDisconnectSession, SessionID: 6, Reason: "You signed out."}, 0, 6, shared.CodeSessionRevoked, "You signed out."},
		{"publish is not for Apply", Control{Kind: KindPublish}, 0, 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var k kicks
			Apply(&k)(tt.c)
			if tt.code == "" {
				if len(k.envs) != 0 {
					t.Fatalf("disconnected %+v", k)
				}
				return
			}
			if tt.user != 0 && (len(k.users) != 1 || k.users[0] != tt.user) || tt.sess != 0 && (len(k.sessions) != 1 || k.sessions[0] != tt.sess) {
				t.Fatalf("disconnected users %v sessions %v", k.users, k.sessions)
			}
			var env shared.Envelope
			var e shared.Error
			if err := json.Unmarshal(k.envs[0], &env); err != nil || env.Type != shared.TypeError {
				t.Fatalf("envelope %s: %v", k.envs[0], err)
			}
			if err := json.Unmarshal(env.Data, &e); err != nil || e.Code != tt.code || e.Message != tt.reply || !e.Fatal {
				t.Fatalf("error %+v (%v), want fatal %s %q", e, err, tt.code, tt.reply)
			}
		})
	}
}
