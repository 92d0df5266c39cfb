#!/usr/bin/env bash
# (Vendored from the shared tools so that a fresh machine can build its own interpreter:
#  scripts/setup runs it when no Python >= 3.14.2 is available and uv cannot download one.)
# provision-py314.sh PREFIX
# Builds a self-contained CPython 3.14 from Debian sid (or PY314_SUITE) binary .debs (python3.14 + its own
# glibc and shared libs) into PREFIX, patches the ELF interpreter/rpath to point into PREFIX,
# verifies it, and prints the interpreter path (PREFIX/bin/python3.14) on stdout.
# Idempotent: if PREFIX is already provisioned and passes a quick check, it only prints the path.
# Env knobs: PY314_MIRROR (default http://deb.debian.org/debian), PY314_SUITE (default sid),
#   PY314_TRUSTED=1 (skip Release signature check), PATCHELF (path to a patchelf binary),
#   PY314_FORCE=1 (rebuild even if provisioned), PY314_KEEP_WORK=1 (keep temp dir),
#   PY314_WITH_DEV=1 (also install Python.h & co. so C extensions can be built from sdists).
set -euo pipefail

die() { echo "provision-py314: ERROR: $*" >&2; exit 1; }
log() { echo "provision-py314: $*" >&2; }

[ $# -ge 1 ] || die "usage: $0 PREFIX   (absolute path, e.g. $HOME/.local/py314)"
PREFIX=${1%/}
case "$PREFIX" in /*) ;; *) die "PREFIX must be an absolute path: $PREFIX";; esac
[ "$PREFIX" != "/" ] && [ "$PREFIX" != "/usr" ] || die "refusing PREFIX=$PREFIX"
PYVER=3.14
PY="$PREFIX/bin/python$PYVER"
STAMP="$PREFIX/.py314-provisioned"
MARK="$PREFIX/.py314-provision-in-progress"
LDSO="$PREFIX/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
LIBDIR="$PREFIX/usr/lib/x86_64-linux-gnu"

quick_check() {
  "$PY" -I -c 'import sys, ssl, sqlite3, ctypes, zlib, lzma, bz2, _hashlib, pyexpat
assert sys.version_info[:2] == (3, 14), sys.version' >/dev/null 2>&1 || return 1
  if [ "${PY314_WITH_DEV:-0}" = 1 ]; then [ -f "$PREFIX/usr/include/python$PYVER/Python.h" ] || return 1; fi
}

# ---- fast path ---------------------------------------------------------------------------
if [ -f "$STAMP" ] && [ "${PY314_FORCE:-0}" != 1 ]; then
  if quick_check; then echo "$PY"; exit 0; fi
  log "stamp present but quick check failed; re-provisioning $PREFIX"
fi

[ "$(uname -m)" = x86_64 ] || die "only x86_64 is supported (got $(uname -m))"
for t in apt-get dpkg-deb; do command -v "$t" >/dev/null || die "'$t' not found (Debian/Ubuntu host required)"; done

# ---- prepare PREFIX (only ever wipe a dir that is ours or empty) ---------------------------
mkdir -p "$PREFIX" || die "cannot create $PREFIX"
if command -v flock >/dev/null; then       # serialize concurrent runs on the same PREFIX
  exec 9<"$PREFIX"; flock 9 || die "cannot lock $PREFIX"
  if [ -f "$STAMP" ] && [ "${PY314_FORCE:-0}" != 1 ] && quick_check; then echo "$PY"; exit 0; fi
fi
if [ -f "$STAMP" ] || [ -f "$MARK" ] || [ -z "$(ls -A "$PREFIX")" ]; then
  find "$PREFIX" -mindepth 1 -maxdepth 1 -exec rm -rf {} + || die "cannot clean $PREFIX"
else
  die "$PREFIX exists, is not empty and was not created by this script; refusing to touch it"
fi
: > "$MARK" || die "cannot write to $PREFIX"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/py314-provision.XXXXXX")
cleanup() { [ "${PY314_KEEP_WORK:-0}" = 1 ] || rm -rf "$WORK"; }
trap cleanup EXIT

# ---- private apt configuration (does not touch the host's apt state) ----------------------
MIRROR=${PY314_MIRROR:-http://deb.debian.org/debian}
SUITE=${PY314_SUITE:-sid}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
if [ "${PY314_TRUSTED:-0}" = 1 ]; then OPT="[trusted=yes]"
elif [ -r "$KEYRING" ]; then OPT="[signed-by=$KEYRING]"
else log "WARNING: $KEYRING missing; signature check disabled"; OPT="[trusted=yes]"; fi
mkdir -p "$WORK/lists/partial" "$WORK/cache/archives/partial" "$WORK/debs"
echo "deb $OPT $MIRROR $SUITE main" > "$WORK/sources.list"
: > "$WORK/status"
APTOPTS=(-o Dir::Etc::sourcelist="$WORK/sources.list" -o Dir::Etc::sourceparts=-
  -o Dir::Etc::preferences=/dev/null -o Dir::Etc::preferencesparts=-
  -o Dir::State::Lists="$WORK/lists" -o Dir::State::status="$WORK/status"
  -o Dir::Cache="$WORK/cache" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
  -o Acquire::Check-Valid-Until=false -o Acquire::Languages=none -o Acquire::Retries=3
  -o APT::Architecture=amd64 -o APT::Architectures=amd64 -o Debug::NoLocking=1
  -o APT::Sandbox::User="$(id -un)")
log "apt-get update ($MIRROR $SUITE)"
apt-get -q "${APTOPTS[@]}" update >"$WORK/update.log" 2>&1 \
  || { cat "$WORK/update.log" >&2; die "apt-get update of $MIRROR $SUITE failed"; }

# Dependency closure of the interpreter packages, minus packages that only carry data/config
# or that are not needed at runtime (debconf, certificates, tzdata, ...).
SEED="python$PYVER python$PYVER-minimal libpython$PYVER-minimal libpython$PYVER-stdlib python$PYVER-venv python$PYVER-gdbm libc6 libgcc-s1"
DENY='^(debconf.*|cdebconf.*|libdebian-installer.*|libnewt.*|libslang.*|libtextwrap.*|libselinux.*|libpcre2.*|media-types|mime-support|netbase|ca-certificates|openssl|openssl-provider-legacy|readline-common|tzdata.*|gcc-[0-9]+-base|perl.*|dpkg|debianutils|base-files|coreutils|libc-bin|libc-gconv-modules-extra)$'
# shellcheck disable=SC2086
PKGS=$(apt-cache "${APTOPTS[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts \
         --no-breaks --no-replaces --no-enhances $SEED 2>"$WORK/depends.log" \
       | grep -v '^ ' | grep -v '^<' | sort -u | grep -Ev "$DENY") \
  || { cat "$WORK/depends.log" >&2; die "could not resolve python$PYVER dependencies in $SUITE"; }
for p in $SEED; do grep -qx "$p" <<<"$PKGS" || die "package $p not found in $SUITE"; done
[ "${PY314_WITH_DEV:-0}" = 1 ] && PKGS="$PKGS libpython$PYVER-dev python$PYVER-dev"
# shellcheck disable=SC2086,SC2116
PKGS=$(echo $PKGS)   # one line
log "downloading $(wc -w <<<"$PKGS") packages: $PKGS"
# shellcheck disable=SC2086
(cd "$WORK/debs" && apt-get -q "${APTOPTS[@]}" download $PKGS >"$WORK/download.log" 2>&1) \
  || { cat "$WORK/download.log" >&2; die "apt-get download failed"; }

log "extracting into $PREFIX"
for d in "$WORK"/debs/*.deb; do dpkg-deb -x "$d" "$PREFIX" || die "dpkg-deb -x $d failed"; done
[ -x "$PREFIX/usr/bin/python$PYVER" ] && [ -x "$LDSO" ] || die "extracted tree lacks python$PYVER or ld.so"
rm -rf "$PREFIX/usr/share/doc" "$PREFIX/usr/share/man" "$PREFIX/usr/share/lintian"

# ---- patchelf: host one, or sid's run through PREFIX's own loader ---------------------------
PE=()
if [ -n "${PATCHELF:-}" ]; then PE=("$PATCHELF")
elif command -v patchelf >/dev/null && patchelf --version >/dev/null 2>&1; then PE=(patchelf)
else
  log "no patchelf on PATH; fetching $SUITE's patchelf and running it with $PREFIX's loader"
  (cd "$WORK" && apt-get -q "${APTOPTS[@]}" download patchelf libstdc++6 >>"$WORK/download.log" 2>&1) \
    || { cat "$WORK/download.log" >&2; die "could not download patchelf"; }
  mkdir -p "$WORK/pe"
  for d in "$WORK"/patchelf_*.deb "$WORK"/libstdc++6_*.deb; do dpkg-deb -x "$d" "$WORK/pe"; done
  PE=("$LDSO" --library-path "$WORK/pe/usr/lib/x86_64-linux-gnu:$LIBDIR" "$WORK/pe/usr/bin/patchelf")
fi
"${PE[@]}" --version >/dev/null 2>&1 || die "patchelf does not run: ${PE[*]}"

log "patching ELF interpreter and rpath"
BIN="$PREFIX/usr/bin/python$PYVER"
# DT_RPATH (not RUNPATH) on the executable is inherited by every library/extension that has no
# RUNPATH of its own, so the whole stdlib (lib-dynload/*.so -> libssl, libffi, ...) resolves into
# PREFIX.  The glibc stub libraries are preloaded so that wheels carrying their own RUNPATH can
# never pull the host's (possibly older) copies in next to PREFIX's libc.
# (two separate patchelf runs: sid's patchelf 0.18.0 aborts with "Assertion `splitIndex == -1'"
#  when --set-interpreter is combined with the other edits on this binary)
"${PE[@]}" --force-rpath --set-rpath "$LIBDIR" \
  --add-needed libpthread.so.0 --add-needed libdl.so.2 --add-needed librt.so.1 --add-needed libutil.so.1 \
  "$BIN" || die "patchelf --set-rpath/--add-needed on $BIN failed"
"${PE[@]}" --set-interpreter "$LDSO" "$BIN" || die "patchelf --set-interpreter on $BIN failed"

# ---- make the tree self-consistent -----------------------------------------------------------
ln -sfn usr/bin "$PREFIX/bin"; ln -sfn usr/lib "$PREFIX/lib"; ln -sfn usr/lib64 "$PREFIX/lib64"
ln -sfn "python$PYVER" "$PREFIX/usr/bin/python3"; ln -sfn "python$PYVER" "$PREFIX/usr/bin/python"
STDLIB="$PREFIX/usr/lib/python$PYVER"
# sitecustomize is an absolute symlink to /etc/python3.14 (host); point it into PREFIX
ln -sfn "../../../etc/python$PYVER/sitecustomize.py" "$STDLIB/sitecustomize.py"
# ensurepip (python -m venv) looks for pip/setuptools wheels in WHEEL_PKG_DIR=/usr/share/python-wheels,
# i.e. the host's (e.g. bookworm's pip 23.0.1); point it at PREFIX's copy of sid's wheels
for f in "$STDLIB"/_sysconfigdata__*linux*.py; do
  [ -L "$f" ] || sed -i "s|'/usr/share/python-wheels/'|'$PREFIX/usr/share/python-wheels/'|" "$f"
done

if [ "${PY314_WITH_DEV:-0}" = 1 ]; then
  ln -sfn usr/include "$PREFIX/include"
  # Debian's pyconfig.h is a multiarch wrapper doing #include <x86_64-linux-gnu/python3.14/pyconfig.h>,
  # which is not on the compiler's include path; replace it with the real header
  cp -f "$PREFIX/usr/include/x86_64-linux-gnu/python$PYVER/pyconfig.h" "$PREFIX/usr/include/python$PYVER/pyconfig.h" \
    || die "pyconfig.h missing from python$PYVER-dev"
fi

# ---- verify ---------------------------------------------------------------------------------
log "verifying"
cat > "$WORK/verify.py" <<'PYCHK'
import sys, os, subprocess, multiprocessing as mp
def main():
    assert sys.version_info[:2] == (3, 14), sys.version
    import ssl, sqlite3, ctypes, zlib, lzma, bz2, hashlib, uuid, decimal, pyexpat, readline, curses
    import dbm.gnu, dbm.ndbm, compression.zstd, zoneinfo, _uuid, _multiprocessing, mmap, select, socket, ensurepip
    ssl.create_default_context()
    con = sqlite3.connect(":memory:"); con.execute("create table t(x)"); con.close()
    hashlib.sha3_256(b"x"); hashlib.blake2b(b"x"); hashlib.md5(b"x")
    assert compression.zstd.decompress(compression.zstd.compress(b"abc")) == b"abc"
    assert ctypes.CDLL(None).getpid() == os.getpid()
    subprocess.run([sys.executable, "-c", "import ssl"], check=True)
    subprocess.run(["/bin/sh", "-c", "true"], check=True)
    for method in ("fork", "forkserver", "spawn"):
        with mp.get_context(method).Pool(2) as p:
            assert p.map(abs, [-1, -2]) == [1, 2], method
    libcs = {l.split()[-1] for l in open("/proc/self/maps") if l.rstrip().endswith("/libc.so.6")}
    root = os.path.realpath(os.environ["PY314_PREFIX"])
    assert libcs and all(os.path.realpath(x).startswith(root + "/") for x in libcs), ("libc not from prefix", libcs)
    print("provision-py314: ok", sys.version.split()[0], ssl.OPENSSL_VERSION, "sqlite", sqlite3.sqlite_version, file=sys.stderr)
if __name__ == "__main__":
    main()
PYCHK
(cd "$WORK" && PY314_PREFIX="$PREFIX" "$PY" -I verify.py) || die "verification of $PY failed (see traceback above)"
"$PY" -I -m venv "$WORK/venv" >"$WORK/venv.log" 2>&1 && "$WORK/venv/bin/python" -m pip --version >>"$WORK/venv.log" 2>&1 \
  || { cat "$WORK/venv.log" >&2; die "'$PY -m venv' (with ensurepip) failed"; }
log "venv ok: $(tail -1 "$WORK/venv.log")"

log "precompiling stdlib"
"$PY" -I -m compileall -q -j0 -x '/(test|idlelib|turtledemo)/' "$STDLIB" >/dev/null 2>&1 || log "WARNING: compileall reported errors (ignored)"

rm -f "$MARK"
date -u +%FT%TZ > "$STAMP"
log "done: $("$PY" -c 'import sys; print(sys.version.split()[0])')"
echo "$PY"
