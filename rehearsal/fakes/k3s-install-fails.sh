#!/bin/sh
# Fake k3s installer that fails the way a broken download does; the
# rehearsal serves it instead of k3s-install.sh in its failure scenario.
echo "[INFO]  Using ${INSTALL_K3S_VERSION:-?} as release (rehearsal fake)"
echo "[ERROR]  Download failed: the rehearsal told the fake installer to fail" >&2
exit 1
