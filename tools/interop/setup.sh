#!/usr/bin/env bash
# Builds quic-go 0.29's interop client and server (Debian's packaged source) for the interop tests.
#
#   bash tools/interop/setup.sh        # installs the Debian packages if missing, builds into .interop/bin
#
# Output: .interop/bin/qgo-server and .interop/bin/qgo-client. Environment they read (besides the
# interop-runner's TESTCASE, SSLKEYLOGFILE, QLOGDIR):
#   LISTEN     server address (default 127.0.0.1:443)
#   CERTS      directory with cert.pem and priv.key (default /certs)
#   WWW        server web root (default /www)
#   DOWNLOADS  client download directory (default /downloads)
#   LOGFILE    quic-go's log file (default /dev/null)
# quic-go's own source is copied into .interop/ (gitignored) at build time; none of it is committed.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/.interop
PKG=golang-github-lucas-clemente-quic-go-dev

need=()
command -v go >/dev/null 2>&1 || need+=(golang-go)
dpkg -s "$PKG" >/dev/null 2>&1 || need+=("$PKG")
if [ ${#need[@]} -gt 0 ]; then
  echo "interop setup: apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Where Debian put quic-go: .../gocode/src/github.com/lucas-clemente/quic-go/interop/server/main.go
main_go=$(dpkg -L "$PKG" | grep '/lucas-clemente/quic-go/interop/server/main\.go$' | head -1)
[ -n "$main_go" ] || { echo "interop setup: $PKG has no interop/server/main.go" >&2; exit 1; }
src=${main_go%/interop/server/main.go}          # the quic-go tree
gocode=${src%/src/github.com/lucas-clemente/quic-go}

gopath=$OUT/gopath
dst=$gopath/src/github.com/lucas-clemente/quic-go
rm -rf "$dst"
mkdir -p "$(dirname "$dst")" "$OUT/bin" "$OUT/gocache"
cp -r "$src" "$dst"
chmod -R u+w "$dst"

for role in server client; do
  f=$dst/interop/$role/main.go
  cp tools/interop/pquic_env.go "$dst/interop/$role/pquic_env.go"
  sed -i \
    -e 's|os.Create("/logs/log.txt")|os.Create(pquicEnv("LOGFILE", os.DevNull))|' \
    -e 's|"/certs/cert.pem", "/certs/priv.key"|pquicEnv("CERTS", "/certs")+"/cert.pem", pquicEnv("CERTS", "/certs")+"/priv.key"|' \
    -e 's|Addr: *":443",|Addr: pquicEnv("LISTEN", "127.0.0.1:443"),|' \
    -e 's|http.Dir("/www")|http.Dir(pquicEnv("WWW", "/www"))|' \
    -e 's|os.Create("/downloads" + req.URL.Path)|os.Create(pquicEnv("DOWNLOADS", "/downloads") + req.URL.Path)|' \
    -e 's|qlog.NewTracer(getLogWriter)|pquicTracer(getLogWriter)|' \
    "$f"
  # the qlog import is now only used by pquic_env.go
  sed -i -e '/"github.com\/lucas-clemente\/quic-go\/qlog"/d' "$f"
  for s in 'Create("/logs/' 'KeyPair("/certs/' ' ":443"' 'Dir("/www")' 'Create("/downloads"' 'qlog.NewTracer'; do
    if grep -qF "$s" "$f"; then echo "interop setup: patch left $s in interop/$role/main.go" >&2; exit 1; fi
  done
done

export GO111MODULE=off GOPATH="$gopath:$gocode" GOCACHE="$OUT/gocache" GOFLAGS=
go build -o "$OUT/bin/qgo-server" github.com/lucas-clemente/quic-go/interop/server
go build -o "$OUT/bin/qgo-client" github.com/lucas-clemente/quic-go/interop/client
echo "interop setup: built .interop/bin/qgo-server and .interop/bin/qgo-client ($(go version | cut -d' ' -f3))"
