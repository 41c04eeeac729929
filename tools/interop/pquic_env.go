// Written for pquic-ts. Copied next to quic-go's interop client and server main.go by
// tools/interop/setup.sh, so that both binaries can run outside the interop-runner's
// Docker image: paths and the listen address come from the environment, and qlog output
// is only set up when QLOGDIR is set.
package main

import (
	"io"
	"os"

	"github.com/lucas-clemente/quic-go/logging"
	"github.com/lucas-clemente/quic-go/qlog"
)

// pquicEnv returns the value of the environment variable name, or def when it is unset or empty.
func pquicEnv(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// pquicTracer returns a qlog tracer, or nil when no QLOGDIR was given (the unpatched
// mains would dereference a nil log-writer callback on the first connection).
func pquicTracer(get func(logging.Perspective, []byte) io.WriteCloser) logging.Tracer {
	if get == nil {
		return nil
	}
	return qlog.NewTracer(get)
}
