import { FIRST_WORKER_HOST } from "../config/defaults";
import type { Fragment, WriteFile } from "./cloud-config";
import type { BootInput } from "./boot-input";
import { PATHS } from "./paths";

/**
 * sshd settings of the drop-in: keys only, no forwarding, short grace.
 * (ChallengeResponseAuthentication is an alias of KbdInteractiveAuthentication
 * in Ubuntu 24.04's OpenSSH 9.6, so it is not repeated.)
 */
export const SSHD_SETTINGS: readonly (readonly [string, string])[] = [
  ["PasswordAuthentication", "no"],
  ["KbdInteractiveAuthentication", "no"],
  ["PermitRootLogin", "prohibit-password"],
  ["PermitEmptyPasswords", "no"],
  ["UsePAM", "yes"],
  ["X11Forwarding", "no"],
  ["AllowAgentForwarding", "no"],
  ["AllowTcpForwarding", "no"],
  ["ClientAliveInterval", "300"],
  ["ClientAliveCountMax", "2"],
  ["MaxAuthTries", "3"],
  ["LoginGraceTime", "30"],
];

/** fail2ban's sshd jail. */
export const FAIL2BAN_SSHD_JAIL: Readonly<Record<string, string>> = {
  enabled: "true",
  port: "ssh",
  filter: "sshd",
  maxretry: "5",
  findtime: "10m",
  bantime: "1h",
  backend: "systemd",
};

/** apt origins unattended-upgrades may install from: the security pockets only. */
export const SECURITY_ORIGINS = [
  "${distro_id}:${distro_codename}-security",
  "${distro_id}ESMApps:${distro_codename}-apps-security",
  "${distro_id}ESM:${distro_codename}-infra-security",
];

const MANAGED = "# managed by sovereign-cdktf cloud-init\n";

/**
 * When unattended upgrades may reboot this server: control-plane servers
 * 30 minutes apart from 02:30 (so an HA etcd never loses two members at
 * once), workers in twelve groups from 04:00, 10 minutes apart.
 */
export function rebootTime(privateIp: string): string {
  const host = Number(privateIp.split(".").pop());
  const minutes = host < FIRST_WORKER_HOST ? 150 + 30 * (host - 2) : 240 + 10 * ((host - FIRST_WORKER_HOST) % 12);
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

/** `key value` lines (sshd_config syntax). */
function sshdConfig(settings: readonly (readonly [string, string])[]): string {
  return MANAGED + settings.map(([key, value]) => `${key} ${value}\n`).join("");
}

/** One INI section (fail2ban syntax). */
function iniSection(name: string, settings: Readonly<Record<string, string>>): string {
  return MANAGED + `[${name}]\n` + Object.entries(settings).map(([key, value]) => `${key} = ${value}\n`).join("");
}

/**
 * apt.conf syntax: `Key "value";` and `Key { "a"; "b"; };`. A list replaces
 * what earlier files set (`#clear Key;` first): apt appends list items
 * across files, and the distribution's 50unattended-upgrades allows more
 * than security updates (Debian's Origins-Pattern takes every point
 * release). An empty list only clears.
 */
function aptConf(entries: readonly (readonly [string, string | readonly string[]])[]): string {
  const entry = ([key, value]: readonly [string, string | readonly string[]]) => {
    if (typeof value === "string") return `${key} ${JSON.stringify(value)};\n`;
    return `#clear ${key};\n` + (value.length === 0 ? "" : `${key} {\n${value.map((v) => `  ${JSON.stringify(v)};\n`).join("")}};\n`);
  };
  return MANAGED.replace(/^#/, "//") + entries.map(entry).join("");
}

/**
 * OS hardening: the sshd drop-in always; fail2ban's sshd jail and
 * security-only unattended upgrades (reboots staggered from 02:30) when switched on in
 * the Sovereign file's `hardening` block.
 */
export function hardeningStep(input: BootInput): Fragment {
  const { fail2ban, unattendedUpgrades } = input.sovereign.hardening;
  const files: WriteFile[] = [{ path: PATHS.sshdDropIn, content: sshdConfig(SSHD_SETTINGS), permissions: "0644" }];
  const packages: string[] = [];
  const services: string[] = [];
  if (unattendedUpgrades) {
    packages.push("unattended-upgrades", "apt-listchanges");
    services.push("unattended-upgrades");
    files.push(
      {
        path: PATHS.autoUpgrades,
        content: aptConf([
          ["APT::Periodic::Update-Package-Lists", "1"],
          ["APT::Periodic::Unattended-Upgrade", "1"],
          ["APT::Periodic::AutocleanInterval", "7"],
        ]),
        permissions: "0644",
      },
      {
        path: PATHS.unattendedUpgrades,
        content: aptConf([
          ["Unattended-Upgrade::Allowed-Origins", SECURITY_ORIGINS],
          ["Unattended-Upgrade::Origins-Pattern", []],
          ["Unattended-Upgrade::Automatic-Reboot", "true"],
          ["Unattended-Upgrade::Automatic-Reboot-Time", rebootTime(input.privateIp)],
          ["Unattended-Upgrade::Remove-Unused-Kernel-Packages", "true"],
          ["Unattended-Upgrade::Remove-Unused-Dependencies", "true"],
        ]),
        permissions: "0644",
      },
    );
  }
  if (fail2ban) {
    // backend = systemd reads the journal through python3-systemd.
    packages.push("fail2ban", "python3-systemd");
    services.push("fail2ban");
    files.push({ path: PATHS.fail2banJail, content: iniSection("sshd", FAIL2BAN_SSHD_JAIL), permissions: "0644" });
  }
  return {
    step: "hardening",
    packages,
    files,
    ...(services.length > 0 ? { command: ["systemctl", "enable", "--now", ...services] as const } : {}),
  };
}
