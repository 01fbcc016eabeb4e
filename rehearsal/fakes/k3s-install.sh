#!/bin/sh
# Fake k3s installer, served as raw.githubusercontent.com/k3s-io/k3s/<tag>/install.sh.
# Does what the real installer does that a boot can observe: downloads the
# k3s binary of INSTALL_K3S_VERSION from the release and checks it against
# the release's sha256sum file, links kubectl, writes the k3s (server) or
# k3s-agent (agent) unit, enables it and restarts it under set -e (unless
# INSTALL_K3S_SKIP_ENABLE / INSTALL_K3S_SKIP_START say not to). It also records the
# configuration it found for the rehearsal.
set -eu

rec=/var/lib/sovereign-rehearsal
umask 077
mkdir -p "$rec"

version=${INSTALL_K3S_VERSION:?INSTALL_K3S_VERSION is not set}
exec_line=${INSTALL_K3S_EXEC:-server}
role=${exec_line%% *}
printf 'version=%s\nexec=%s\nskip_start=%s\n' "$version" "$exec_line" "${INSTALL_K3S_SKIP_START:-}" >"$rec/installer.env"
if [ -f /etc/rancher/k3s/config.yaml ]; then
  cp /etc/rancher/k3s/config.yaml "$rec/k3s-config.yaml"
fi

echo "[INFO]  Using $version as release (rehearsal fake)"
arch=$(dpkg --print-architecture)
base="https://github.com/k3s-io/k3s/releases/download/$version"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
curl -fsSL -o "$work/k3s" "$base/k3s"
curl -fsSL -o "$work/sha256sum-$arch.txt" "$base/sha256sum-$arch.txt"
expected=$(grep ' k3s$' "$work/sha256sum-$arch.txt" | cut -d' ' -f1)
actual=$(sha256sum "$work/k3s" | cut -d' ' -f1)
if [ "$expected" != "$actual" ]; then
  echo "[ERROR]  Download sha256 does not match $expected, got $actual" >&2
  exit 1
fi
echo "[INFO]  Verified binary download"
install -m 0755 "$work/k3s" /usr/local/bin/k3s
for link in kubectl crictl ctr; do
  ln -sf k3s "/usr/local/bin/$link"
done

if [ "$role" = agent ]; then unit=k3s-agent; else unit=k3s; fi
cat >"/etc/systemd/system/$unit.service" <<UNIT
[Unit]
Description=Lightweight Kubernetes (rehearsal fake)
Wants=network-online.target
After=network-online.target

[Service]
Type=notify
NotifyAccess=all
ExecStart=/usr/local/bin/k3s $exec_line
Restart=always
RestartSec=5s

[Install]
WantedBy=multi-user.target
UNIT
chmod 0644 "/etc/systemd/system/$unit.service"
systemctl daemon-reload
if [ "${INSTALL_K3S_SKIP_ENABLE:-}" = true ]; then
  exit 0
fi
systemctl enable "$unit"
if [ "${INSTALL_K3S_SKIP_START:-}" = true ]; then
  exit 0
fi
echo "[INFO]  systemd: Starting $unit"
systemctl restart "$unit"
