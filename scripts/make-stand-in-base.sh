#!/bin/sh
# Makes a local stand-in for the node:20-slim image, for machines that run a Docker engine but
# reach no image registry (the image check, test/packaging/docker.test.ts, needs a base to build
# the repository's Dockerfile from). The Dockerfile itself is unchanged: a user with a registry
# builds it from the real node:20-slim.
#
# The stand-in is Debian bookworm (debootstrap --variant=minbase, from the machine's Debian
# mirror) with this machine's Node 20 binary, its headers (/usr/include/node, so node-gyp builds
# the native core offline) and npm, a `node` user with uid 1000 as in the real image, and the
# machine's CA bundle with NODE_EXTRA_CA_CERTS, so that npm in the build reaches the registry
# through whatever TLS proxy the machine trusts.
#
# Usage (as root): scripts/make-stand-in-base.sh [tag]   (default tag node:20-slim)
# Needs: debootstrap, docker (a running engine), node 20 on the PATH.
set -eu

TAG="${1:-node:20-slim}"
SUITE=bookworm
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if [ "$(id -u)" != 0 ]; then
  echo "make-stand-in-base: debootstrap needs root" >&2
  exit 2
fi
for tool in debootstrap docker node; do
  command -v "$tool" >/dev/null || { echo "make-stand-in-base: $tool is not installed" >&2; exit 2; }
done
NODE_BIN="$(command -v node)"
NODE_MAJOR="$("$NODE_BIN" -p 'process.versions.node.split(".")[0]')"
if [ "$NODE_MAJOR" != 20 ]; then
  echo "make-stand-in-base: this machine's node is $("$NODE_BIN" --version), not 20" >&2
  exit 2
fi
NODE_PREFIX="$(dirname "$(dirname "$(readlink -f "$NODE_BIN")")")"
NPM_DIR="$NODE_PREFIX/lib/node_modules/npm"
[ -d "$NPM_DIR" ] || { echo "make-stand-in-base: npm not found at $NPM_DIR" >&2; exit 2; }
[ -d "$NODE_PREFIX/include/node" ] || { echo "make-stand-in-base: no node headers at $NODE_PREFIX/include/node" >&2; exit 2; }
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
[ -f "$CA_BUNDLE" ] || { echo "make-stand-in-base: no CA bundle at $CA_BUNDLE" >&2; exit 2; }

ROOT="$(mktemp -d /tmp/stand-in-node20.XXXXXX)"
trap 'rm -rf "$ROOT"' EXIT INT TERM

echo "make-stand-in-base: debootstrap --variant=minbase $SUITE from $MIRROR"
debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" >"$ROOT.log" 2>&1 || {
  tail -20 "$ROOT.log" >&2
  exit 1
}
rm -f "$ROOT.log"

# Node, its headers and npm where the real image has them (/usr/local).
install -D -m 0755 "$NODE_BIN" "$ROOT/usr/local/bin/node"
mkdir -p "$ROOT/usr/local/include" "$ROOT/usr/local/lib/node_modules"
cp -a "$NODE_PREFIX/include/node" "$ROOT/usr/local/include/node"
cp -a "$NPM_DIR" "$ROOT/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ROOT/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ROOT/usr/local/bin/npx"

# The machine's CA bundle, which includes any TLS proxy it trusts.
mkdir -p "$ROOT/etc/ssl/certs"
cp "$CA_BUNDLE" "$ROOT/etc/ssl/certs/ca-certificates.crt"

# The real image's user: node, uid and gid 1000, home /home/node.
chroot "$ROOT" groupadd --gid 1000 node
chroot "$ROOT" useradd --uid 1000 --gid node --shell /bin/bash --create-home node

# Slim: no apt lists, docs or caches (the Dockerfile's build stage runs apt-get update itself).
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin "$ROOT"/usr/share/doc/* "$ROOT"/usr/share/man/*

tar -C "$ROOT" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$("$NODE_BIN" -p process.versions.node)" \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["node"]' \
  --message "stand-in for node:20-slim made by scripts/make-stand-in-base.sh" \
  - "$TAG" >/dev/null
echo "make-stand-in-base: tagged $TAG locally: a stand-in made from Debian $SUITE packages and this machine's node $("$NODE_BIN" --version), not the registry's image"
