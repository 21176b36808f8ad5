package web

import "testing"

func TestLoneSurrogate(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{`"plain"`, false},
		{`"\ud83d\ude00"`, false},
		{`"\uD83D\uDE00"`, false},
		{`"\\ud800"`, false},
		{`"\\\ud800"`, true},
		{`"\ud800"`, true},
		{`"\udc00"`, true},
		{`"\ud800x"`, true},
		{`"\ud800\u0041"`, true},
		{`"\ud800\ud800\udc00"`, true},
		{`"\u00e9\n\t"`, false},
		{`"\ud8`, false},
	} {
		if got := loneSurrogate([]byte(c.in)); got != c.want {
			t.Errorf("loneSurrogate(%s) = %v, want %v", c.in, got, c.want)
		}
	}
}
