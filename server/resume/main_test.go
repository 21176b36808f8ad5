package resume_test

import (
	"testing"

	"natter/server/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
