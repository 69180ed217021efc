#!/bin/sh
# STAND-IN for the k3s install script (https://get.k3s.io): a test double, never for production use.
# It does what the versatile.jupyter.k3s role relies on the real script for, in the air-gap case only:
#   - needs INSTALL_K3S_SKIP_DOWNLOAD=true and an executable /usr/local/bin/k3s (it cannot download);
#   - the command is INSTALL_K3S_EXEC's first word (server or agent), or agent when K3S_URL is set;
#   - writes /etc/systemd/system/k3s.service or k3s-agent.service (Type=notify) and its 0600 .env file,
#     the kubectl/crictl/ctr links, k3s-killall.sh and k3s[-agent]-uninstall.sh;
#   - enables the unit and reloads systemd, unless INSTALL_K3S_SKIP_ENABLE=true (then, as with the real script,
#     it neither enables nor starts it); starts it unless INSTALL_K3S_SKIP_START=true.
set -eu
BIN_DIR=${INSTALL_K3S_BIN_DIR:-/usr/local/bin}
SYSTEMD_DIR=${INSTALL_K3S_SYSTEMD_DIR:-/etc/systemd/system}

fatal() { echo "[ERROR] (k3s install stand-in) $*" >&2; exit 1; }
info() { echo "[INFO] (k3s install stand-in) $*"; }

[ "${INSTALL_K3S_SKIP_DOWNLOAD:-}" = true ] || fatal "the stand-in cannot download k3s: set INSTALL_K3S_SKIP_DOWNLOAD=true"
[ -x "$BIN_DIR/k3s" ] || fatal "Executable k3s binary not found at $BIN_DIR/k3s"
command -v systemctl >/dev/null || fatal "Can not find systemd to use as a process supervisor for k3s"

# shellcheck disable=SC2086
set -- ${INSTALL_K3S_EXEC:-} "$@"
case "${1:-}" in
  server|agent) CMD=$1; shift ;;
  *) if [ -n "${K3S_URL:-}" ]; then CMD=agent; else CMD=server; fi ;;
esac
if [ "$CMD" = server ]; then NAME=k3s; else NAME=k3s-agent; fi
UNIT=$SYSTEMD_DIR/$NAME.service

info "Installing $NAME ($("$BIN_DIR/k3s" --version | head -n 1))"
for cmd in kubectl crictl ctr; do
  [ -e "$BIN_DIR/$cmd" ] || ln -sf k3s "$BIN_DIR/$cmd"
done

cat > "$BIN_DIR/k3s-killall.sh" <<'EOF'
#!/bin/sh
# k3s install stand-in: stops every k3s unit.
for service in /etc/systemd/system/k3s*.service; do
  [ -s "$service" ] && systemctl stop "$(basename "$service")"
done
exit 0
EOF
chmod 755 "$BIN_DIR/k3s-killall.sh"

cat > "$BIN_DIR/$NAME-uninstall.sh" <<EOF
#!/bin/sh
# k3s install stand-in: removes $NAME the way the real uninstall script does.
set -x
$BIN_DIR/k3s-killall.sh
systemctl disable $NAME || true
systemctl reset-failed $NAME || true
rm -f $UNIT $UNIT.env
systemctl daemon-reload
rm -f $BIN_DIR/$NAME-uninstall.sh
if ls $SYSTEMD_DIR/k3s*.service >/dev/null 2>&1; then
  echo 'Additional k3s services installed, skipping uninstall of k3s'
  exit 0
fi
for cmd in kubectl crictl ctr; do [ -L $BIN_DIR/\$cmd ] && rm -f $BIN_DIR/\$cmd; done
rm -rf /etc/rancher/k3s /run/k3s /var/lib/rancher/k3s /var/lib/kubelet
rm -f $BIN_DIR/k3s $BIN_DIR/k3s-killall.sh
EOF
chmod 755 "$BIN_DIR/$NAME-uninstall.sh"

systemctl disable "$NAME" >/dev/null 2>&1 || true
umask 077
env | grep -E '^(K3S|CONTAINERD)_' > "$UNIT.env" || true
chmod 600 "$UNIT.env"
umask 022
{
  echo "[Unit]"
  echo "Description=Lightweight Kubernetes (k3s STAND-IN for tests)"
  echo "Wants=network-online.target"
  echo "After=network-online.target"
  echo "[Install]"
  echo "WantedBy=multi-user.target"
  echo "[Service]"
  echo "Type=notify"
  echo "NotifyAccess=all"
  echo "EnvironmentFile=-$UNIT.env"
  echo "TimeoutStartSec=0"
  echo "Restart=always"
  echo "RestartSec=5s"
  echo "ExecStart=$BIN_DIR/k3s $CMD $*"
} > "$UNIT"
[ "${INSTALL_K3S_SKIP_ENABLE:-}" = true ] && exit 0
systemctl enable "$UNIT" >/dev/null
systemctl daemon-reload
[ "${INSTALL_K3S_SKIP_START:-}" = true ] && exit 0
info "Starting $NAME"
systemctl restart "$NAME"
